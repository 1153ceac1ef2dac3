import type { Dictation, ReadAloud } from '../lib/voice'

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
          <span aria-hidden="true">🎤</span> {dictation.listening ? 'Listening… tap to stop' : 'Ask by voice'}
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
