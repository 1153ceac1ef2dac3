import type { BaseChatModel } from '@langchain/core/language_models/chat_models'
import { HumanMessage, SystemMessage } from '@langchain/core/messages'
import { ChatOpenAI } from '@langchain/openai'
import { isSeverity, type Severity } from '../../domain.js'
import type { Diagnosis } from '../../schemas/analysis.js'
import { type RulEstimate, rulSentence } from '../../schemas/rul.js'
import { KNOWLEDGE, matchKnowledge, UNCLASSIFIED } from './diagnosis-agent.js'

export interface EngagementContext {
  vin?: string
  /** Vehicle model, e.g. "Nexon EV". */
  model?: string
  /** The episode's remaining-useful-life estimate, as stored on its alarm row. */
  rul?: RulEstimate | null
  /** A bare number of days (no interval), for callers without an estimate. */
  rulDays?: number
  /** The same fault came back after the vehicle was serviced for it (the alarm row's `repeat_of`). */
  repeat?: boolean
}

export const REPEAT_NOTICE = 'This is a repeat: the same problem has come back since its last service.'

export interface EngagementOptions {
  /** When given, `phraseMessage` asks it to rephrase the template; otherwise the template is used. */
  chatModel?: BaseChatModel
  /** Longest wait for the chat model before falling back to the template (default 4000 ms). */
  timeoutMs?: number
}

/** The urgency prefix every customer message starts with, by severity. */
export const URGENCY_PREFIX: Readonly<Record<Severity, string>> = {
  Critical: 'URGENT:',
  High: 'Important:',
  Medium: 'Heads-up:',
  Low: 'FYI:',
}

export const BOOKING_OFFER = 'Would you like me to book a service slot?'

const PREFIXES = Object.values(URGENCY_PREFIX)
const MAX_MODEL_REPLY = 1200

const SYSTEM_PROMPT =
  'You write short notifications from an electric-vehicle maintenance assistant to the vehicle owner. ' +
  'Rewrite the message you are given in warm, plain language without technical jargon. Keep every fact ' +
  '(problem, urgency, what to do, number of days), add nothing new, keep it under 90 words, start with ' +
  'the exact same first word (e.g. "URGENT:") and, if the message offers to book a service, end with that offer. ' +
  'Reply with the message text only.'

function sentence(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ')
  if (t === '') return t
  return /[.!?]$/.test(t) ? t : `${t}.`
}

function contextRul(context: EngagementContext): RulEstimate | null {
  if (context.rul !== undefined) return context.rul
  const days = context.rulDays
  if (days === undefined || !Number.isFinite(days) || days < 0) return null
  return { rul_days: days, rul_low_days: null, rul_high_days: null, rul_method: 'theil-sen', rul_limit: null }
}

/**
 * Turns a diagnosis into a message for the vehicle owner. `generateMessage` is a deterministic
 * template; `phraseMessage` optionally lets a chat model reword it, always falling back to the
 * template on error, timeout or an unusable reply.
 */
export class CustomerEngagementAgent {
  private readonly chatModel: BaseChatModel | undefined
  private readonly timeoutMs: number

  constructor(options: EngagementOptions = {}) {
    this.chatModel = options.chatModel
    this.timeoutMs = options.timeoutMs ?? 4000
  }

  generateMessage(
    diagnosis: string | Diagnosis,
    severity: Severity,
    context: EngagementContext = {},
  ): string {
    const level: Severity = isSeverity(severity) ? severity : 'Medium'
    const rawTitle = typeof diagnosis === 'string' ? diagnosis : diagnosis?.diagnosis_text
    let title = (typeof rawTitle === 'string' ? rawTitle : '').trim().replace(/[.!?]+$/, '')
    const key = matchKnowledge(title)
    // "Unclassified anomaly" is our term, not the owner's: keep only what was observed, if anything.
    if (key === UNCLASSIFIED || title === '')
      title = title.split(':')[1]?.trim() || 'Unusual vehicle behaviour'
    const advice = sentence(KNOWLEDGE[key ?? UNCLASSIFIED]!.owner_advice)
    // An owner of several vehicles (often of one model) must tell them apart: the VIN says which.
    const vin = context.vin ? ` (${context.vin})` : ''
    const where = context.model
      ? ` on your ${context.model.trim()}${vin}`
      : context.vin
        ? ` on ${context.vin}`
        : ''
    const rul = rulSentence(contextRul(context))
    const parts: string[] = []
    switch (level) {
      case 'Critical':
        parts.push(
          `URGENT: ${title} detected${where}. Immediate service recommended.`,
          advice,
          rul,
          BOOKING_OFFER,
        )
        break
      case 'High':
        parts.push(
          `Important: ${title} detected${where}.`,
          advice,
          'Please book a service within the next few days.',
          rul,
          BOOKING_OFFER,
        )
        break
      case 'Medium':
        parts.push(
          `Heads-up: ${title} detected${where}.`,
          advice,
          'It is not urgent, but worth having checked at your next service.',
          rul,
        )
        break
      default:
        parts.push(
          `FYI: ${title} noticed${where}.`,
          advice,
          'No action is needed right now; we will keep an eye on it.',
          rul,
        )
    }
    if (context.repeat) parts.splice(1, 0, REPEAT_NOTICE)
    return parts.filter((p) => p !== '').join(' ')
  }

  /** Like `generateMessage`, phrased by the chat model when one is configured. Never rejects. */
  async phraseMessage(
    diagnosis: string | Diagnosis,
    severity: Severity,
    context: EngagementContext = {},
  ): Promise<string> {
    const template = this.generateMessage(diagnosis, severity, context)
    const model = this.chatModel
    if (!model) return template
    const level: Severity = isSeverity(severity) ? severity : 'Medium'
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        controller.abort()
        resolve(undefined)
      }, this.timeoutMs)
    })
    try {
      const call = model
        .invoke([new SystemMessage(SYSTEM_PROMPT), new HumanMessage(template)], { signal: controller.signal })
        .then((reply) => reply.text)
        // A late rejection after the timeout must not surface as an unhandled rejection.
        .catch(() => undefined)
      const text = await Promise.race([call, timeout])
      return enforcePrefix(text, level) ?? template
    } catch {
      return template
    } finally {
      clearTimeout(timer)
    }
  }
}

/** Keeps the model's wording but guarantees the severity's urgency prefix (and no other). */
function enforcePrefix(text: unknown, severity: Severity): string | undefined {
  if (typeof text !== 'string') return undefined
  let body = text
    .trim()
    .replace(/^["']|["']$/g, '')
    .trim()
  if (body === '' || body.length > MAX_MODEL_REPLY) return undefined
  for (const prefix of PREFIXES) {
    if (body.toLowerCase().startsWith(prefix.toLowerCase())) {
      body = body.slice(prefix.length).trim()
      break
    }
  }
  if (body === '') return undefined
  return `${URGENCY_PREFIX[severity]} ${body}`
}

/**
 * A `ChatOpenAI` for `phraseMessage` when an API key is configured, else undefined (template only).
 * `baseUrl` points it at any OpenAI-compatible endpoint. Constructing it makes no network call.
 */
export function createChatModelFromEnv(
  env: { apiKey?: string; baseUrl?: string; model?: string } = {},
): ChatOpenAI | undefined {
  const apiKey = env.apiKey?.trim()
  if (!apiKey) return undefined
  return new ChatOpenAI({
    apiKey,
    model: env.model?.trim() || 'gpt-4o-mini',
    temperature: 0.3,
    maxRetries: 1,
    ...(env.baseUrl?.trim() ? { configuration: { baseURL: env.baseUrl.trim() } } : {}),
  })
}
