import type { Dictation, ReadAloud } from '../lib/voice'

/** Drawn, not an emoji: a phone without an emoji font would show an empty box. */
function MicIcon() {
  return (
    <svg class="mic-icon" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11h-2z"
      />
    </svg>
  )
}

/**
 * Read-aloud switch and the microphone. Each says why when the browser cannot do it; the text box
 * beside them always works.
 */
export function VoiceControls({ readAloud, dictation }: { readAloud: ReadAloud; dictation: Dictation }) {
  return (
    <div class="voice" data-testid="voice-controls">
      <label class="voice-toggle">
        <input
          type="checkbox"
          checked={readAloud.on}
          disabled={!readAloud.supported}
          onChange={(e) => readAloud.setOn(e.currentTarget.checked)}
        />
        Read alerts and replies aloud
      </label>
      {!readAloud.supported && <span class="small muted">This browser cannot read aloud.</span>}
      {dictation.supported ? (
        <button
          type="button"
          class={`btn btn-small${dictation.listening ? ' btn-primary' : ''}`}
          aria-pressed={dictation.listening}
          onClick={() => (dictation.listening ? dictation.stop() : dictation.start())}
        >
          <MicIcon /> {dictation.listening ? 'Listening… tap to stop' : 'Ask by voice'}
        </button>
      ) : (
        <span class="small muted" data-testid="voice-unavailable">
          Voice questions need a browser with speech recognition (such as Chrome); type your question instead.
        </span>
      )}
      {dictation.error && (
        <p class="inline-error" role="alert">
          {dictation.error}
        </p>
      )}
    </div>
  )
}
