import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

/** Where the owner's choice is remembered: reading aloud stays off until they turn it on. */
export const READ_ALOUD_KEY = 'autonoma.readAloud'

/** The Web Speech API's recogniser, as much of it as the dashboard uses (not in TypeScript's DOM lib). */
interface Recognition {
  lang: string
  interimResults: boolean
  maxAlternatives: number
  onresult: ((e: { results: ArrayLike<ArrayLike<{ transcript: string }>> }) => void) | null
  onerror: ((e: { error: string }) => void) | null
  onend: (() => void) | null
  start(): void
  stop(): void
}
type RecognitionCtor = new () => Recognition

/** The browser's speech recogniser, standard or prefixed; undefined where it offers none (Firefox). */
export function recognitionCtor(): RecognitionCtor | undefined {
  const w = globalThis as { SpeechRecognition?: RecognitionCtor; webkitSpeechRecognition?: RecognitionCtor }
  return w.SpeechRecognition ?? w.webkitSpeechRecognition
}

function synthesis(): SpeechSynthesis | undefined {
  return (globalThis as { speechSynthesis?: SpeechSynthesis }).speechSynthesis
}

function remembered(): boolean {
  try {
    return localStorage.getItem(READ_ALOUD_KEY) === 'on'
  } catch {
    return false
  }
}

export interface ReadAloud {
  /** Whether the browser can speak at all. */
  supported: boolean
  on: boolean
  setOn: (on: boolean) => void
  /** Says `text` if reading aloud is on; a newer text cuts an older one off. */
  speak: (text: string) => void
}

/** Alerts and the agent's replies read aloud (speechSynthesis), off by default, remembered. */
export function useReadAloud(): ReadAloud {
  const supported = synthesis() !== undefined && typeof SpeechSynthesisUtterance !== 'undefined'
  const [on, setOnState] = useState(() => supported && remembered())
  const onRef = useRef(on)
  onRef.current = on
  const setOn = useCallback((next: boolean) => {
    setOnState(next)
    try {
      localStorage.setItem(READ_ALOUD_KEY, next ? 'on' : 'off')
    } catch {
      // Private mode without storage: the choice lasts for this page.
    }
    if (!next) synthesis()?.cancel()
  }, [])
  const speak = useCallback(
    (text: string) => {
      const s = synthesis()
      if (!onRef.current || !s || !supported) return
      s.cancel()
      s.speak(new SpeechSynthesisUtterance(text))
    },
    [supported],
  )
  useEffect(() => () => synthesis()?.cancel(), [])
  return { supported, on, setOn, speak }
}

export interface Dictation {
  supported: boolean
  listening: boolean
  /** Why the last attempt failed, in words (permission refused, nothing heard). */
  error: string | null
  start: () => void
  stop: () => void
}

const RECOGNITION_ERRORS: Record<string, string> = {
  'not-allowed': 'The microphone is blocked: allow it for this site, or type your question.',
  'service-not-allowed': 'Voice input is not available here: type your question.',
  'no-speech': 'Nothing was heard: try again, or type your question.',
  'audio-capture': 'No microphone was found: type your question.',
  network: 'Voice input needs a connection: type your question.',
}

/** One spoken question through the Web Speech API, handed to `onText` when recognised. */
export function useDictation(onText: (text: string) => void): Dictation {
  const Ctor = recognitionCtor()
  const [listening, setListening] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const current = useRef<Recognition | null>(null)
  const onTextRef = useRef(onText)
  onTextRef.current = onText

  const stop = useCallback(() => current.current?.stop(), [])
  const start = useCallback(() => {
    if (!Ctor || current.current) return
    const r = new Ctor()
    r.lang = document.documentElement.lang || 'en'
    r.interimResults = false
    r.maxAlternatives = 1
    r.onresult = (e) => {
      const text = e.results[0]?.[0]?.transcript?.trim()
      if (text) onTextRef.current(text)
    }
    r.onerror = (e) => setError(RECOGNITION_ERRORS[e.error] ?? 'Voice input failed: type your question.')
    r.onend = () => {
      current.current = null
      setListening(false)
    }
    current.current = r
    setError(null)
    setListening(true)
    try {
      r.start()
    } catch {
      current.current = null
      setListening(false)
      setError('Voice input could not start: type your question.')
    }
  }, [Ctor])
  useEffect(() => () => current.current?.stop(), [])
  return { supported: Ctor !== undefined, listening, error, start, stop }
}
