/** Every table, for the migration generator and the typed client. Tables live beside their domain. */
export { criterionTable } from '../acceptance-criteria/criterion.sql.js';
export { attachmentTable } from '../attachments/attachment.sql.js';
export { chatMessageTable, conversationTable } from '../chat/chat.sql.js';
export { commentTable } from '../comments/comment.sql.js';
export { nodeTable } from '../nodes/node.sql.js';
export { projectTable } from '../projects/project.sql.js';
export { runEventTable, runTable } from '../runs/run.sql.js';
export { taskTable } from '../tasks/task.sql.js';
export { workerTable } from '../runs/worker.sql.js';
export { trackerCommentLinkTable, trackerCredentialTable, trackerLinkTable, trackerMappingTable } from '../integrations/integration.sql.js';
export { taskDependencyTable } from '../tasks/task-dependency.sql.js';
export { pipelineTable } from '../director/pipeline.sql.js';
export { taskPipelineTable } from '../director/task-pipeline.sql.js';
export { modelCallTable } from '../model-calls/model-call.sql.js';
export { webhookDeliveryTable, webhookTable } from '../webhooks/webhook.sql.js';
