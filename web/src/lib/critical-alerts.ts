/**
 * A browser notification and a short tone for a Critical alert, once the user has allowed it. The
 * permission prompt only ever follows a click (browsers ignore or punish prompts on page load).
 */
export type CriticalPermission = 'granted' | 'denied' | 'default' | 'unsupported'

export function notificationPermission(): CriticalPermission {
  if (typeof Notification === 'undefined') return 'unsupported'
  return Notification.permission
}

export async function askPermission(): Promise<CriticalPermission> {
  if (typeof Notification === 'undefined') return 'unsupported'
  return Notification.requestPermission()
}

let audio: AudioContext | null = null

/** Two short beeps; silent where Web Audio is missing or not yet unlocked by a gesture. */
export function playAlarmTone(): boolean {
  const Ctx = (globalThis as { AudioContext?: typeof AudioContext }).AudioContext
  if (!Ctx) return false
  try {
    audio ??= new Ctx()
    const start = audio.currentTime
    for (const offset of [0, 0.35]) {
      const osc = audio.createOscillator()
      const gain = audio.createGain()
      osc.frequency.value = 880
      gain.gain.setValueAtTime(0.15, start + offset)
      gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.25)
      osc.connect(gain).connect(audio.destination)
      osc.start(start + offset)
      osc.stop(start + offset + 0.26)
    }
    return true
  } catch {
    return false
  }
}

/** Tells the user about a Critical alert: a notification (if allowed) and the tone. */
export function announceCritical(title: string, body: string, tag: string): boolean {
  if (notificationPermission() !== 'granted') return false
  try {
    new Notification(title, { body, tag })
  } catch {
    // Some browsers only allow notifications from a service worker; the tone still plays.
  }
  playAlarmTone()
  return true
}
