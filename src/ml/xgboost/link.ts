import { AppError } from '../../core/errors.js'

/**
 * How a margin becomes a prediction, named so clients (explanations, calibration, the API) can
 * say what the numbers mean: `logit` (probability = sigmoid(margin)), `identity`, `log`
 * (prediction = exp(margin)) and `softmax` (one margin per class per row).
 */
export type Link = 'logit' | 'identity' | 'log' | 'softmax'

const LINKS: Readonly<Record<string, Link>> = {
  'binary:logistic': 'logit',
  'reg:logistic': 'logit',
  'binary:logitraw': 'identity',
  'reg:linear': 'identity',
  'reg:squarederror': 'identity',
  'count:poisson': 'log',
  'multi:softprob': 'softmax',
  'multi:softmax': 'softmax',
}

/** The link of an XGBoost objective; `UNSUPPORTED` for objectives this predictor does not know. */
export const linkOf = (objective: string): Link => {
  const link = Object.hasOwn(LINKS, objective) ? LINKS[objective] : undefined
  if (link === undefined) {
    throw new AppError('UNSUPPORTED', `objective '${objective}' is not supported`, {
      field: 'objective',
    })
  }
  return link
}

/** True for `multi:softmax`, whose prediction is the arg-max class index, not probabilities. */
export const predictsClassIndex = (objective: string): boolean => objective === 'multi:softmax'

const f = Math.fround

/** XGBoost 0.7's float32 sigmoid: `1 / (1 + expf(-m))`, rounded to float32 at each step. */
export const sigmoid32 = (margin: number): number => f(1 / f(1 + f(Math.exp(-margin))))

/** float32 `expf`. */
export const exp32 = (margin: number): number => f(Math.exp(margin))

/**
 * XGBoost 0.7's `common::Softmax` (src/common/math.h) in place on `v[from .. from+k)`, with its
 * mixed precision: the max is a float, each `rec[i] - wmax` is a float subtraction (rounded to
 * float32 before `expf`), the exponentials are summed in a `double wsum`, and each float is
 * divided by `(float)wsum`. Summing in float32 instead changes about half the probabilities in
 * the last bit.
 */
export const softmax32InPlace = (v: Float32Array, from: number, k: number): void => {
  let max = v[from] as number
  for (let j = 1; j < k; j++) max = Math.max(max, v[from + j] as number)
  let sum = 0
  for (let j = 0; j < k; j++) {
    const e = exp32(f((v[from + j] as number) - max))
    v[from + j] = e
    sum += e
  }
  const divisor = f(sum)
  // float / float rounds once: the double quotient of two float32 values, stored as float32.
  for (let j = 0; j < k; j++) v[from + j] = (v[from + j] as number) / divisor
}
