/** JSON lines on stdout (CloudWatch in AWS). Secrets are redacted by key before anything is written. */
type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /secret|signature|sig-hash|authorization|password|token|webhook_?url|credential/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? "[redacted]" : redact(item, depth + 1);
  }
  return out;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  service: string,
  options: { level?: string; write?: (line: string) => void } = {},
): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? "info";
  const threshold = level === "silent" ? Number.POSITIVE_INFINITY : (ORDER[level as Level] ?? ORDER.info);
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emit = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < threshold) return;
    write(
      JSON.stringify({
        level,
        service,
        message,
        time: new Date().toISOString(),
        ...(redact(fields) as object),
      }),
    );
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
