import { BaseChatModel } from '@langchain/core/language_models/chat_models'
import { AIMessage, type BaseMessage } from '@langchain/core/messages'
import type { ChatResult } from '@langchain/core/outputs'
import { FakeListChatModel } from '@langchain/core/utils/testing'
import { ChatOpenAI } from '@langchain/openai'
import { describe, expect, it, vi } from 'vitest'
import { DiagnosisAgent } from '../../src/agents/workers/diagnosis-agent.js'
import {
  BOOKING_OFFER,
  CustomerEngagementAgent,
  createChatModelFromEnv,
} from '../../src/agents/workers/engagement-agent.js'

/** Records the prompt and answers with a fixed text. */
class RecordingChatModel extends BaseChatModel {
  prompts: string[] = []
  _llmType(): string {
    return 'recording'
  }
  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    this.prompts.push(messages.map((m) => m.text).join('\n---\n'))
    const message = new AIMessage('Important: please have your brakes looked at soon.')
    return { generations: [{ text: message.text, message }] }
  }
}

/** A chat model that never answers (it ignores abort signals too), or always fails. */
class StuckChatModel extends BaseChatModel {
  calls = 0
  constructor(private readonly mode: 'hang' | 'fail') {
    super({})
  }
  _llmType(): string {
    return 'stuck'
  }
  _generate(_messages: BaseMessage[]): Promise<ChatResult> {
    this.calls++
    if (this.mode === 'fail') return Promise.reject(new Error('503 upstream unavailable'))
    return new Promise<ChatResult>(() => {})
  }
}

const thermal = new DiagnosisAgent().diagnose('High Battery Temp')

describe('CustomerEngagementAgent templates', () => {
  const agent = new CustomerEngagementAgent()

  it('starts a Critical message with URGENT and offers a booking', () => {
    const msg = agent.generateMessage(thermal, 'Critical', { rulDays: 3, model: 'Nexon EV' })
    expect(msg).toMatch(
      /^URGENT: Battery thermal management failure detected on your Nexon EV\. Immediate service recommended\. /,
    )
    expect(msg).toContain('about 3 days')
    expect(msg.endsWith(BOOKING_OFFER)).toBe(true)
  })

  it('uses the severity ladder of urgency prefixes', () => {
    const high = agent.generateMessage('Battery thermal management failure', 'High')
    expect(high).toMatch(/^Important: Battery thermal management failure detected\./)
    expect(high).toContain('Please book a service within the next few days.')
    expect(high.endsWith(BOOKING_OFFER)).toBe(true)

    const medium = agent.generateMessage('Low tire pressure', 'Medium', { rulDays: 45.4 })
    expect(medium).toMatch(/^Heads-up: /)
    expect(medium).toContain('about 45 days')
    expect(medium).not.toContain(BOOKING_OFFER)

    const low = agent.generateMessage(thermal, 'Low')
    expect(low).toMatch(/^FYI: /)
    expect(low.startsWith('URGENT:')).toBe(false)
    expect(low).not.toContain(BOOKING_OFFER)
  })

  it('stays in plain language and copes with unknown diagnoses', () => {
    const msg = agent.generateMessage('Mystery rattle', 'High')
    expect(msg).toMatch(/^Important: Mystery rattle detected\./)
    expect(msg).not.toMatch(/z-score|threshold|baseline|battery_temperature/)
    expect(agent.generateMessage('', 'Critical')).toMatch(/^URGENT: Unusual vehicle behaviour detected\./)
    const unclassified = new DiagnosisAgent().diagnose({ label: 'Hot Cabin' })
    expect(agent.generateMessage(unclassified, 'Medium')).toMatch(/^Heads-up: Hot Cabin detected\./)
    expect(agent.generateMessage(new DiagnosisAgent().diagnose('??'), 'Low')).toMatch(
      /^FYI: Unusual vehicle behaviour noticed\./,
    )
  })
})

describe('CustomerEngagementAgent with a chat model', () => {
  it('uses the model phrasing and keeps the urgency prefix', async () => {
    const model = new FakeListChatModel({
      responses: [
        'URGENT: Your battery is overheating. Please get it serviced right away. Would you like me to book a service slot?',
        'Your battery is overheating. Please get it serviced right away.',
        'URGENT: nothing to worry about',
      ],
    })
    const agent = new CustomerEngagementAgent({ chatModel: model })
    expect(await agent.phraseMessage(thermal, 'Critical')).toBe(
      'URGENT: Your battery is overheating. Please get it serviced right away. Would you like me to book a service slot?',
    )
    expect(await agent.phraseMessage(thermal, 'Critical')).toBe(
      'URGENT: Your battery is overheating. Please get it serviced right away.',
    )
    // A model that escalates a Low message does not get to keep "URGENT:".
    expect(await agent.phraseMessage(thermal, 'Low')).toBe('FYI: nothing to worry about')
  })

  it('prompts the model with the template message as the facts', async () => {
    const model = new RecordingChatModel({})
    const agent = new CustomerEngagementAgent({ chatModel: model })
    const diagnosis = new DiagnosisAgent().diagnose('Brake Pads Worn')
    const msg = await agent.phraseMessage(diagnosis, 'High', { rulDays: 9 })
    expect(msg).toBe('Important: please have your brakes looked at soon.')
    expect(model.prompts).toHaveLength(1)
    expect(model.prompts[0]).toContain(agent.generateMessage(diagnosis, 'High', { rulDays: 9 }))
  })

  it('falls back to the template when the model hangs, once its timeout has passed', async () => {
    vi.useFakeTimers()
    try {
      const model = new StuckChatModel('hang')
      const agent = new CustomerEngagementAgent({ chatModel: model, timeoutMs: 150 })
      let msg: string | undefined
      void agent.phraseMessage(thermal, 'Critical', { rulDays: 2 }).then((m) => {
        msg = m
      })
      // The model gets the whole timeout to answer...
      await vi.advanceTimersByTimeAsync(149)
      expect(model.calls).toBe(1)
      expect(msg).toBeUndefined()
      // ...and the customer gets the template as soon as it has passed, not whenever the model answers.
      await vi.advanceTimersByTimeAsync(1)
      expect(msg).toBe(agent.generateMessage(thermal, 'Critical', { rulDays: 2 }))
      expect(model.calls).toBe(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('falls back to the template when the model fails', async () => {
    const agent = new CustomerEngagementAgent({ chatModel: new StuckChatModel('fail'), timeoutMs: 1000 })
    expect(await agent.phraseMessage(thermal, 'High')).toBe(agent.generateMessage(thermal, 'High'))
  })

  it('uses the template when no model is configured', async () => {
    const agent = new CustomerEngagementAgent()
    expect(await agent.phraseMessage(thermal, 'Medium')).toBe(agent.generateMessage(thermal, 'Medium'))
  })
})

describe('createChatModelFromEnv', () => {
  it('returns undefined without an API key', () => {
    expect(createChatModelFromEnv()).toBeUndefined()
    expect(createChatModelFromEnv({ apiKey: '  ' })).toBeUndefined()
  })

  it('constructs (never calls) a ChatOpenAI when a key is set', () => {
    const model = createChatModelFromEnv({
      apiKey: 'sk-test',
      baseUrl: 'http://127.0.0.1:9/v1',
      model: 'gpt-test',
    })
    expect(model).toBeInstanceOf(ChatOpenAI)
    expect(model?.model).toBe('gpt-test')
  })
})
