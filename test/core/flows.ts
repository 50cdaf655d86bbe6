/**
 * The flow the service-tier tests run: "agent" hands over; every handover event and outcome enters at
 * `events`, which says what it saw; an injected "close" closes the handover from the flow.
 */
export const coreFlow = `
id: core
start: route
nodes:
  route:
    type: if
    condition: lower(input.text) contains "agent"
    then: hand
    else: echo
  echo:
    type: say
    text: "bot heard {{ input.text }}"
  hand:
    type: handoverToAgent
    acceptedMessage: "Connecting you."
    cancelButtonText: Cancel
    maxQueueWait: 600
    sendQueueEvent: true
    sendActiveEvent: true
    jsonProperties: { Plan: gold }
    transcript: full
    next: events
  events:
    type: lookup
    value: input.handover.status
    cases:
      queue: queueNote
      active: arm
      inactivity: nudge
      completed: outcome
      cancelled: outcome
      error: outcome
    default: injected
  queueNote:
    type: say
    text: "Note for the agent: a gold customer"
    destination: agent
  arm:
    type: setHandoverInactivity
    seconds: 60
  nudge:
    type: say
    text: "Still there? ({{ input.handover.inactivityCount }})"
    destination: both
  outcome:
    type: say
    text: "outcome {{ input.handover.status }}/{{ input.handover.reason }}"
  injected:
    type: if
    condition: input.text == "close"
    then: close
    else: toolSays
  close:
    type: closeHandover
    next: closedSay
  closedSay:
    type: say
    text: "closed by the agent's tool"
  toolSays:
    type: say
    text: "tool says {{ input.text }}"
    destination: agent
`;
