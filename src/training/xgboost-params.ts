import { z } from 'zod'
import { AppError } from '../core/errors.js'

/**
 * Objectives this XGBoost 0.7 build trains and our parser/predictor understands. Regression is
 * `reg:linear` here (XGBoost >= 1.0 renamed it `reg:squarederror`).
 */
export const SUPPORTED_OBJECTIVES = ['binary:logistic', 'reg:linear', 'multi:softprob'] as const
export type SupportedObjective = (typeof SUPPORTED_OBJECTIVES)[number]

const unit = () => z.number().gt(0).lte(1)

/**
 * Training parameters with our explicit defaults. ml-xgboost's own defaults are odd (subsample
 * 0.5, exact, reg:linear), so every value the booster sees is set here, named as XGBoost 0.7
 * names it. Unset XGBoost defaults are restated so a stored parameter set is complete.
 */
export const xgboostParamsSchema = z
  .object({
    objective: z.enum(SUPPORTED_OBJECTIVES).default('binary:logistic'),
    /** Required for (and only for) multi:softprob; labels are then 0..num_class-1. */
    num_class: z.int().min(2).max(10_000).optional(),
    booster: z.literal('gbtree').default('gbtree'),
    /** `hist` is far faster on large data and the default here; `exact` is XGBoost 0.7's. */
    tree_method: z.enum(['hist', 'exact', 'approx']).default('hist'),
    eta: unit().default(0.3),
    max_depth: z.int().min(1).max(20).default(6),
    min_child_weight: z.number().min(0).default(1),
    gamma: z.number().min(0).default(0),
    lambda: z.number().min(0).default(1),
    alpha: z.number().min(0).default(0),
    max_delta_step: z.number().min(0).default(0),
    subsample: unit().default(1),
    colsample_bytree: unit().default(1),
    colsample_bylevel: unit().default(1),
    scale_pos_weight: z.number().gt(0).default(1),
    /** Histogram bins per feature, used by `hist` only. */
    max_bin: z.int().min(2).max(65_535).default(256),
    /** Initial prediction in probability space for binary:logistic (XGBoost stores its logit). */
    base_score: z.number().default(0.5),
    seed: z.int().min(0).max(2_147_483_647).default(0),
    silent: z.union([z.literal(0), z.literal(1)]).default(1),
  })
  .strict()
  .check((ctx) => {
    const p = ctx.value
    const multi = p.objective === 'multi:softprob'
    if (multi && p.num_class === undefined) {
      ctx.issues.push({
        code: 'custom',
        path: ['num_class'],
        message: 'required for multi:softprob',
        input: p,
      })
    }
    if (!multi && p.num_class !== undefined) {
      ctx.issues.push({
        code: 'custom',
        path: ['num_class'],
        message: `not allowed for ${p.objective}`,
        input: p,
      })
    }
    if (p.objective === 'binary:logistic' && !(p.base_score > 0 && p.base_score < 1)) {
      ctx.issues.push({
        code: 'custom',
        path: ['base_score'],
        message: 'must be in (0, 1) for binary:logistic',
        input: p,
      })
    }
  })

/** Parameters as callers write them (defaults optional). */
export type XgboostParamsInput = z.input<typeof xgboostParamsSchema>
/** Parameters with every default filled in. */
export type XgboostParams = z.output<typeof xgboostParamsSchema>

/** Values people reach for that this build cannot train or we cannot serve, with the reason. */
const REFUSED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  objective: {
    'reg:squarederror': 'this XGBoost 0.7 build calls it reg:linear',
    'multi:softmax': 'use multi:softprob (class probabilities; take the arg max for a label)',
  },
  booster: {
    dart: 'DART drops trees at random and its per-tree weights are not supported by our predictor',
    gblinear: 'only tree boosters can be parsed, explained and served',
  },
}

/**
 * Validates training parameters and fills our defaults.
 * @throws AppError UNSUPPORTED for a known but refused choice (DART, reg:squarederror, ...),
 *   VALIDATION naming the first bad field otherwise.
 */
export const parseXgboostParams = (input: unknown): XgboostParams => {
  if (typeof input === 'object' && input !== null) {
    for (const [field, refused] of Object.entries(REFUSED)) {
      const value = (input as Record<string, unknown>)[field]
      const reason = typeof value === 'string' ? refused[value] : undefined
      if (reason !== undefined) {
        throw new AppError('UNSUPPORTED', `${field} '${value}' is not supported: ${reason}`, {
          field,
        })
      }
    }
  }
  const parsed = xgboostParamsSchema.safeParse(input ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    // An unknown key has an empty path; name the key itself.
    const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined
    const field = unknownKey ?? (issue?.path.join('.') || 'params')
    throw new AppError(
      'VALIDATION',
      `training parameter ${field}: ${issue?.message ?? 'invalid'}`,
      {
        field,
      },
    )
  }
  return parsed.data
}

/** The `(name, value)` pairs handed to XGBoost's `set_param`, in a fixed order. */
export const toXgbParamPairs = (p: XgboostParams): ReadonlyArray<readonly [string, string]> =>
  Object.entries(p)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, String(v)] as const)
