import { describe, expect, it } from 'vitest'
import { parseXgboostParams, toXgbParamPairs } from './xgboost-params.js'

describe('parseXgboostParams', () => {
  it('fills our explicit defaults, not ml-xgboost’s (subsample 0.5, exact, reg:linear)', () => {
    const p = parseXgboostParams({})
    expect(p).toMatchObject({
      objective: 'binary:logistic',
      booster: 'gbtree',
      tree_method: 'hist',
      subsample: 1,
      colsample_bytree: 1,
      seed: 0,
      silent: 1,
    })
    expect(p.num_class).toBeUndefined()
  })

  it('keeps what the caller sets', () => {
    const p = parseXgboostParams({ objective: 'reg:linear', eta: 0.05, tree_method: 'exact' })
    expect(p).toMatchObject({ objective: 'reg:linear', eta: 0.05, tree_method: 'exact' })
  })

  it.each([
    [{ booster: 'dart' }, 'booster', /DART/],
    [{ booster: 'gblinear' }, 'booster', /tree boosters/],
    [{ objective: 'reg:squarederror' }, 'objective', /reg:linear/],
    [{ objective: 'multi:softmax', num_class: 3 }, 'objective', /multi:softprob/],
  ])('refuses %o as UNSUPPORTED with the reason', (input, field, reason) => {
    expect(() => parseXgboostParams(input)).toThrow(reason)
    expect(() => parseXgboostParams(input)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED', field }),
    )
  })

  it.each([
    [{ objective: 'multi:softprob' }, 'num_class'],
    [{ num_class: 3 }, 'num_class'],
    [{ max_depth: 0 }, 'max_depth'],
    [{ subsample: 0 }, 'subsample'],
    [{ eta: 1.5 }, 'eta'],
    [{ base_score: 1 }, 'base_score'],
    [{ seed: 1.5 }, 'seed'],
    [{ learning_rate: 0.1 }, 'learning_rate'],
    [{ objective: 'rank:pairwise' }, 'objective'],
  ])('refuses %o as VALIDATION naming %s', (input, field) => {
    expect(() => parseXgboostParams(input)).toThrow(
      expect.objectContaining({ code: 'VALIDATION', field }),
    )
  })

  it('accepts multi:softprob with num_class', () => {
    expect(parseXgboostParams({ objective: 'multi:softprob', num_class: 4 }).num_class).toBe(4)
  })

  it('turns every set value into a name/value string pair for set_param', () => {
    const pairs = new Map(toXgbParamPairs(parseXgboostParams({ eta: 0.1 })))
    expect(pairs.get('eta')).toBe('0.1')
    expect(pairs.get('tree_method')).toBe('hist')
    expect(pairs.has('num_class')).toBe(false)
  })
})
