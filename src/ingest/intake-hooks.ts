/** Behaviour analytics' part in device intake (HTTP and MQTT), handed in by the composition root. */
export interface IntakeHooks {
  /** Seconds a throttled device must wait (0: not throttled). */
  throttledFor?: (vin: string) => number
  /** Readings of a device refused as impossible, by code. */
  onRejected?: (vin: string, codes: string[]) => void
}
