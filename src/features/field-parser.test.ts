import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CellRejection, compileFieldParser } from './field-parser.js'
import { fieldSchema } from './schema.js'

const parser = (field: unknown, sourceMissing: string[] = ['']) =>
  compileFieldParser(fieldSchema.parse(field), sourceMissing)

const rejected = (v: unknown): string | undefined =>
  v instanceof CellRejection ? v.reason : undefined

describe('compileFieldParser', () => {
  it('int: accepts integral floats as UCI writes them, rejects fractions and junk', () => {
    const p = parser({ name: 'age', type: 'int' })
    expect(p('63')).toBe(63)
    expect(p(' 63.0 ')).toBe(63)
    expect(p('-4')).toBe(-4)
    expect(rejected(p('1.5'))).toBe('not an integer')
    expect(rejected(p('abc'))).toBe('not a number (int)')
    expect(rejected(p('0x10'))).toBe('not a number (int)')
    expect(p('')).toBeNull()
  })

  it('int: beyond ±(2^53 - 1) is out of range, not a fraction; exponent notation is rejected', () => {
    const p = parser({ name: 'n', type: 'int' })
    expect(p('9007199254740991')).toBe(9007199254740991)
    expect(p('-9007199254740991.0')).toBe(-9007199254740991)
    for (const big of [
      '9007199254740992',
      '9007199254740993',
      '-9007199254740993',
      '1'.repeat(400),
    ])
      expect(rejected(p(big)), big).toBe('integer out of range (±2^53)')
    for (const exp of ['1e2', '1E2', '-2.5e1', '1e400'])
      expect(rejected(p(exp)), exp).toBe('exponent notation is not allowed for int fields')
    // Between 2^52 and 2^53 a double cannot hold .5, so integrality is read from the text.
    expect(rejected(p('4503599627370497.5'))).toBe('not an integer')
    expect(p('.0')).toBe(0)
    expect(parser({ name: 'x', type: 'float' })('1e2')).toBe(100)
    expect(rejected(parser({ name: 'x', type: 'float' })('1e400'))).toBe('number out of range')
  })

  it('float: -1 is a real value; NaN/Infinity text is rejected', () => {
    const p = parser({ name: 'oldpeak', type: 'float' })
    expect(p('-1')).toBe(-1)
    expect(p('-2.6')).toBe(-2.6)
    expect(p('-0')).toBe(0)
    expect(Object.is(p('-0'), 0)).toBe(true)
    for (const bad of ['NaN', 'Infinity', '1,5', 'abc', '--1'])
      expect(rejected(p(bad))).toBe('not a number (float)')
  })

  it("field missing values ('0' for chol) match every spelling of the number", () => {
    const p = parser({ name: 'chol', type: 'int', missing_values: ['0'] })
    expect(p('0')).toBeNull()
    expect(p('0.0')).toBeNull()
    expect(p('233')).toBe(233)
  })

  it('source missing values apply; non-nullable missing is an error', () => {
    const p = parser({ name: 'race', type: 'string', nullable: false }, ['?'])
    expect(rejected(p('?'))).toBe('missing value in a non-nullable field')
    expect(p(' Caucasian ')).toBe('Caucasian')
    const q = parser({ name: 'n', type: 'int', nullable: false, missing_values: ['0'] })
    expect(rejected(q('0.0'))).toBe('missing value in a non-nullable field')
  })

  it('bool: only listed spellings', () => {
    const p = parser({ name: 'fbs', type: 'bool' })
    expect(p('TRUE')).toBe(true)
    expect(p('FALSE')).toBe(false)
    expect(rejected(p('maybe'))).toMatch(/^not a bool \(expected one of TRUE, true/)
    const yes = parser({ name: 'm', type: 'bool', true_values: ['Yes'], false_values: ['No'] })
    expect(yes('Yes')).toBe(true)
    expect(rejected(yes('yes'))).toBeDefined()
  })

  it("categorical: listed values only; 'None' is a category, not null", () => {
    const p = parser({ name: 'a1c', type: 'categorical', values: ['None', 'Norm', '>7', '>8'] }, [
      '?',
    ])
    expect(p('None')).toBe('None')
    expect(p('>7')).toBe('>7')
    expect(p('?')).toBeNull()
    expect(rejected(p('none'))).toBe('not a listed category: None, Norm, >7, >8')
  })

  it('property: any safe integer written plainly or with .0 reads back exactly', () => {
    const p = parser({ name: 'n', type: 'int' })
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.boolean(), (n, dotZero) => {
        const out = p(`${n}${dotZero ? '.0' : ''}`)
        return out === (n === 0 ? 0 : n)
      }),
    )
  })

  it('property: any finite double written by String() reads back as the same number', () => {
    const p = parser({ name: 'x', type: 'float' })
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const out = p(String(x))
        return out === x || (x === 0 && out === 0)
      }),
    )
  })

  it('property: a categorical field returns exactly the listed value or a rejection', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc
            .string({ minLength: 1 })
            .map((s) => s.trim())
            .filter((s) => s !== ''),
          { minLength: 1, maxLength: 6 },
        ),
        fc.string(),
        (values, cell) => {
          const p = parser({ name: 'c', type: 'categorical', values })
          const out = p(cell)
          const trimmed = cell.trim()
          if (trimmed === '') return out === null
          return values.includes(trimmed) ? out === trimmed : out instanceof CellRejection
        },
      ),
    )
  })
})
