/**
 * The explained-drift model of the data analysis agent. Split from `vehicle-baseline.ts` to keep files
 * small; `vehicle-baseline.ts` re-exports `LagModel`.
 */

/**
 * What a signal should read given what drives it: a per-vehicle first-order lag model
 *   x_t = a * x_(t-1) + b + sum(c_i * u_i,t)
 * (e.g. battery temperature following ambient temperature and the heat of the current), fitted online
 * by recursive least squares. The expectation is *simulated* from the covariates alone
 * (E_t = a * E_(t-1) + b + sum(c_i * u_i,t)), so `observe` returns the part of the value the covariates
 * do not explain: about 0 through normal driving and charging, growing with a fault that adds heat of
 * its own. Watching that residual instead of the raw value keeps a busy day from looking like drift.
 *
 * What the model refuses to learn: whatever the caller flags (suspicious values, see `data-agent.ts`),
 * and once warm, one-step errors beyond `ERROR_GATE` deviations (a glitch, or a covariate far outside
 * anything seen). Once warm, each reading also weighs less (`WARM_WEIGHT`): physics changes slowly, and
 * a slow drift the gates cannot tell from noise must not be absorbed at the pace it happens. A
 * direction the covariates have not excited yet (no charging seen so far) still learns at full speed,
 * since its uncertainty is still large. (Learning from every n-th reading instead would be cheaper, but
 * misses the short transitions, such as the start of a charge, that pin the model down.)
 */
const WARM_WEIGHT = 0.1
const ERROR_GATE = 8
const ERROR_SPAN = 672

export class LagModel {
  /** Samples learned. */
  n = 0
  /** The last value and its simulated expectation. */
  lastValue = Number.NaN
  lastExpected = Number.NaN
  /** Scratch space the caller fills with the covariates before `observe`. */
  readonly u: Float64Array
  private readonly k: number
  private readonly theta: Float64Array
  private readonly p: Float64Array
  private readonly phi: Float64Array
  private readonly pphi: Float64Array
  private previous = Number.NaN
  private expected = Number.NaN
  private errorVariance = 0

  constructor(
    covariates: number,
    private readonly warmup: number,
  ) {
    this.k = covariates + 2
    this.u = new Float64Array(covariates)
    this.theta = new Float64Array(this.k)
    this.p = new Float64Array(this.k * this.k)
    this.phi = new Float64Array(this.k)
    this.pphi = new Float64Array(this.k)
    this.restart()
  }

  get warm(): boolean {
    return this.n >= this.warmup
  }

  /**
   * Advances the expectation with the covariates in `u` and folds in the value `x` (NaN when the
   * reading has none: the expectation still moves, nothing is learned). Learns from `x` when `learn`.
   * Returns `x` minus the expectation once warm, NaN before (and for a reading without a value).
   */
  observe(x: number, learn: boolean): number {
    const { k, theta, phi, u } = this
    phi[1] = 1
    for (let i = 2; i < k; i++) phi[i] = u[i - 2]!
    // |a| < 1 keeps the simulation stable; within that range the fit is used as it is, since clipping
    // it would move the expectation's level away from the one the fit learned.
    const a = Math.min(0.995, Math.max(-0.995, theta[0]!))
    let drive = 0
    for (let i = 1; i < k; i++) drive += theta[i]! * phi[i]!
    const hasValue = !Number.isNaN(x)
    let residual = Number.NaN
    if (this.warm && Number.isFinite(this.expected)) {
      this.expected = a * this.expected + drive
      if (hasValue) {
        residual = x - this.expected
        // A runaway simulation (a degenerate fit) restarts from the measured value.
        if (!Number.isFinite(residual) || Math.abs(residual) > 1e6) {
          this.expected = x
          residual = 0
        }
      }
    } else this.expected = x
    if (learn && hasValue && Number.isFinite(this.previous)) {
      phi[0] = this.previous
      this.update(x)
    }
    this.previous = x
    this.lastValue = x
    this.lastExpected = this.expected
    return residual
  }

  /** No usable covariate: the expectation cannot move, so it holds; the regression restarts its lag. */
  skip(): void {
    this.previous = Number.NaN
  }

  restart(): void {
    this.n = 0
    this.theta.fill(0)
    this.p.fill(0)
    for (let i = 0; i < this.k; i++) this.p[i * this.k + i] = 1e4
    this.previous = Number.NaN
    this.expected = Number.NaN
    this.errorVariance = 0
    this.lastValue = Number.NaN
    this.lastExpected = Number.NaN
  }

  /**
   * One weighted recursive least-squares step, without forgetting. P is symmetric, so only its upper
   * triangle is computed and mirrored (this runs on every reading).
   */
  private update(x: number): void {
    const { k, theta, p, phi, pphi } = this
    const warm = this.warm
    let leverage = 0
    let prediction = 0
    for (let i = 0, row = 0; i < k; i++, row += k) {
      let s = 0
      for (let j = 0; j < k; j++) s += p[row + j]! * phi[j]!
      pphi[i] = s
      const f = phi[i]!
      leverage += f * s
      prediction += theta[i]! * f
    }
    const denom = (warm ? 1 / WARM_WEIGHT : 1) + leverage
    const error = x - prediction
    if (!(denom > 0) || !Number.isFinite(error)) return
    // The error is judged against what the fit can predict: a covariate value never seen before
    // (large leverage) is allowed a large error, so a new operating regime is learned, not refused.
    const e2 = (error * error) / (1 + leverage)
    if (warm && e2 > ERROR_GATE * ERROR_GATE * this.errorVariance) return
    const n = this.n + 1
    this.errorVariance += (e2 - this.errorVariance) / Math.min(n, ERROR_SPAN)
    const inverse = 1 / denom
    for (let i = 0, row = 0; i < k; i++, row += k) {
      const gain = pphi[i]! * inverse
      theta[i]! += gain * error
      for (let j = i; j < k; j++) {
        const v = p[row + j]! - gain * pphi[j]!
        p[row + j] = v
        p[j * k + i] = v
      }
    }
    this.n = n
  }
}
