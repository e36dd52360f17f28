/**
 * HTTP Basic credentials of a stand-in request. The stand-ins check only that credentials are
 * there (any dummy will do), as the vendors refuse a request without them: a flow that forgets to
 * authenticate fails locally the way it would against the vendor.
 */
export function basicCredentials(
  headers: Record<string, string | undefined>,
): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(headers.authorization ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
