/** How the copilot reaches the agent of a handover (implemented by the handover service: a notice for the agent, delivered durably after the create call). */
export interface AgentNotifier {
  notifyAgent(handoverId: string, text: string): Promise<void>;
}
