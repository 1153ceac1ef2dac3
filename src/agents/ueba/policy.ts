import { END } from '@langchain/langgraph'

/** The only transitions an agent run may take (the requirements' table). END is written `END`. */
export const ALLOWED_TRANSITIONS: Readonly<Record<string, readonly string[]>> = {
  data_analysis: ['diagnosis', END],
  diagnosis: ['customer_engagement'],
  customer_engagement: ['scheduling', END],
  scheduling: ['rca', END],
  rca: [END],
}

/**
 * What each agent may write. The customer-facing agent may write the conversation but never
 * manufacturing data; only RCA writes insights.
 */
const WRITES = {
  data_analysis: ['anomaly_events'],
  diagnosis: ['anomaly_events', 'diagnoses'],
  customer_engagement: ['chat_messages'],
  scheduling: ['service_bookings', 'chat_messages'],
  rca: ['manufacturing_insights'],
} as const

/**
 * What each agent may read: least privilege for reads too. Only data analysis reads what the
 * vehicles send; scheduling sees bookings and centres, never telemetry.
 */
const READS = {
  data_analysis: ['telemetry_logs'],
  diagnosis: ['anomaly_events'],
  customer_engagement: ['chat_messages'],
  scheduling: ['service_bookings', 'service_centers'],
  rca: ['anomaly_events', 'manufacturing_insights'],
} as const

export const ALLOWED_WRITES: Readonly<Record<string, readonly string[]>> = WRITES
export const ALLOWED_READS: Readonly<Record<string, readonly string[]>> = READS
export type AgentName = keyof typeof WRITES
export type AgentWrites = typeof WRITES
export type AgentReads = typeof READS

/** What the gate asks before an agent's node runs (behaviour analytics: a quarantine). */
export interface AgentGuard {
  isQuarantined(agent: string): boolean
}
