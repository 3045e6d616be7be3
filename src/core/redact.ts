const SECRET_PARAMS = ['password', 'pass', 'sslpassword']

/**
 * A connection URL fit for an error message: the password, in the user-info part or as a query
 * parameter (both pg and ioredis accept `?password=`), is replaced by `***`.
 */
export const redactUrl = (url: string): string => {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    for (const p of SECRET_PARAMS) if (u.searchParams.has(p)) u.searchParams.set(p, '***')
    return u.toString().replaceAll('%2A%2A%2A', '***')
  } catch {
    // Not parseable as a URL: mask anything that looks like a secret rather than echo it.
    return url
      .replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@')
      .replace(/([?&](?:password|pass|sslpassword)=)[^&]*/gi, '$1***')
  }
}
