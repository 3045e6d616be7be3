import { describe, expect, it } from 'vitest'
import { redactUrl } from './redact.js'

describe('redactUrl', () => {
  it('hides the password in the user info', () => {
    expect(redactUrl('postgres://ward:s3cret@db:5432/ward')).toBe(
      'postgres://ward:***@db:5432/ward',
    )
  })
  it('hides a password given as a query parameter', () => {
    const out = redactUrl('redis://127.0.0.1:6379/0?password=s3cret&db=1')
    expect(out).not.toContain('s3cret')
    expect(out).toContain('db=1')
  })
  it('masks secrets in strings that are not URLs', () => {
    const out = redactUrl('redis://u:pa/ss@127.0.0.1:1/0')
    expect(out).not.toContain('pa/ss')
  })
  it('leaves a URL without secrets alone', () => {
    expect(redactUrl('postgres://root@127.0.0.1:5432/test')).toBe(
      'postgres://root@127.0.0.1:5432/test',
    )
  })
})
