// assistant/ owns the assistant runtime of spec §11 (chat, generate, sessions) and its §12.3 routes: an
// OpenAI-compatible model chosen by the org's AgentProviderConfig. It never stores or returns a provider key.
export { createAssistantRuntime, type AssistantRuntime, type ChatChunk } from './runtime.ts';
export { assistantRoutes } from './routes.ts';
