import { MemoryApprovalStore } from "../../src/stores/memory-approval-store.js";
import { CONTRACT_RETENTION_MS, runApprovalStoreContract } from "./approval-store.case.js";

runApprovalStoreContract("memory approvals", async (clock) => new MemoryApprovalStore({ clock, retentionMs: CONTRACT_RETENTION_MS }));
