// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/preact'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { READ_ALOUD_KEY, useDictation, useReadAloud } from '../lib/voice'
import { VoiceControls } from './voice-controls'

/** The page's voice controls, with a button that makes the page say something (as an alert would). */
function Harness({ onText = () => undefined }: { onText?: (text: string) => void }) {
  const readAloud = useReadAloud()
  const dictation = useDictation(onText)
  return (
    <>
      <VoiceControls readAloud={readAloud} dictation={dictation} />
      <button type="button" onClick={() => readAloud.speak('Battery running hot')}>
        alert
      </button>
    </>
  )
}

class FakeUtterance {
  constructor(readonly text: string) {}
}

/** A recogniser that hears what the test tells it to. */
class FakeRecognition {
  static last: FakeRecognition | undefined
  lang = ''
  interimResults = true
  maxAlternatives = 5
  onresult: ((e: { results: Array<Array<{ transcript: string }>> }) => void) | null = null
  onerror: ((e: { error: string }) => void) | null = null
  onend: (() => void) | null = null
  start = vi.fn()
  stop = vi.fn(() => this.onend?.())
  constructor() {
    FakeRecognition.last = this
  }
  hear(text: string) {
    this.onresult?.({ results: [[{ transcript: text }]] })
    this.onend?.()
  }
}

describe('voice: read aloud and ask by voice', () => {
  const speak = vi.fn()
  const cancel = vi.fn()
  beforeEach(() => {
    localStorage.clear()
    speak.mockClear()
    vi.stubGlobal('speechSynthesis', { speak, cancel })
    vi.stubGlobal('SpeechSynthesisUtterance', FakeUtterance)
  })
  afterEach(() => {
    cleanup()
    vi.unstubAllGlobals()
  })

  it('reads nothing aloud until the owner turns it on, then speaks alerts, and remembers the choice', () => {
    render(<Harness />)
    const toggle = screen.getByLabelText('Read alerts and replies aloud') as HTMLInputElement
    expect(toggle.checked).toBe(false)
    fireEvent.click(screen.getByText('alert'))
    expect(speak).not.toHaveBeenCalled()

    fireEvent.click(toggle)
    expect(localStorage.getItem(READ_ALOUD_KEY)).toBe('on')
    fireEvent.click(screen.getByText('alert'))
    expect(speak).toHaveBeenCalledTimes(1)
    expect((speak.mock.calls[0]![0] as FakeUtterance).text).toBe('Battery running hot')

    // A new page load starts where the owner left it.
    cleanup()
    render(<Harness />)
    expect((screen.getByLabelText('Read alerts and replies aloud') as HTMLInputElement).checked).toBe(true)
    fireEvent.click(screen.getByLabelText('Read alerts and replies aloud'))
    expect(localStorage.getItem(READ_ALOUD_KEY)).toBe('off')
    expect(cancel).toHaveBeenCalled()
  })

  it('says so, and stays off, where the browser cannot speak', () => {
    vi.stubGlobal('speechSynthesis', undefined)
    localStorage.setItem(READ_ALOUD_KEY, 'on')
    render(<Harness />)
    const toggle = screen.getByLabelText('Read alerts and replies aloud') as HTMLInputElement
    expect(toggle.disabled).toBe(true)
    expect(toggle.checked).toBe(false)
    expect(screen.getByText('This browser cannot read aloud.')).toBeTruthy()
  })

  it('asks a spoken question through the (prefixed) recogniser, and explains a refused microphone', () => {
    vi.stubGlobal('webkitSpeechRecognition', FakeRecognition)
    const asked = vi.fn()
    render(<Harness onText={asked} />)
    fireEvent.click(screen.getByRole('button', { name: /Ask by voice/ }))
    const r = FakeRecognition.last!
    expect(r.start).toHaveBeenCalled()
    expect(screen.getByRole('button', { name: /Listening/ }).getAttribute('aria-pressed')).toBe('true')
    act(() => r.hear('  Is it safe to drive?  '))
    expect(asked).toHaveBeenCalledWith('Is it safe to drive?')
    expect(screen.getByRole('button', { name: /Ask by voice/ })).toBeTruthy()

    fireEvent.click(screen.getByRole('button', { name: /Ask by voice/ }))
    act(() => {
      FakeRecognition.last!.onerror?.({ error: 'not-allowed' })
      FakeRecognition.last!.onend?.()
    })
    expect(screen.getByRole('alert').textContent).toMatch(/microphone is blocked.*type your question/)
  })

  it('offers no microphone where there is no recogniser, and says why', () => {
    render(<Harness />)
    expect(screen.queryByRole('button', { name: /Ask by voice/ })).toBeNull()
    expect(screen.getByTestId('voice-unavailable').textContent).toMatch(/type your question instead/)
  })
})
