/**
 * Secret detection for memory updates and imports. A finding refuses the update: the caller reports
 * where (path, line) and what rule matched, with the value masked; nothing is silently dropped.
 */

export interface RedactionFinding {
  path: string;
  line: number;
  rule: 'key-value-secret' | 'provider-token' | 'bearer-header' | 'pem-block' | 'long-base64';
  /** The offending value with all but its first 4 characters masked. */
  masked: string;
}

interface Rule {
  name: RedactionFinding['rule'];
  pattern: RegExp;
  /** Index of the capture group holding the secret value (0 = whole match). */
  group: number;
}

const RULES: Rule[] = [
  { name: 'pem-block', pattern: /-----BEGIN [A-Z0-9 ]*(PRIVATE KEY|CERTIFICATE|OPENSSH PRIVATE KEY)-----/g, group: 0 },
  { name: 'bearer-header', pattern: /\bauthorization\s*[:=]\s*(?:bearer|basic|token)\s+([A-Za-z0-9._~+/=-]{8,})/gi, group: 1 },
  { name: 'bearer-header', pattern: /\bbearer\s+([A-Za-z0-9._~+/=-]{16,})/gi, group: 1 },
  {
    name: 'provider-token',
    pattern:
      /\b(sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,})/g,
    group: 1,
  },
  {
    name: 'key-value-secret',
    pattern:
      /\b(?:password|passwd|pwd|secret|client[_-]?secret|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?token|access[_-]?token|token)\b["']?\s*[:=]\s*["']?([^\s"',;]{6,})/gi,
    group: 1,
  },
  { name: 'long-base64', pattern: /(?<![A-Za-z0-9+/=_-])([A-Za-z0-9+/]{40,}={0,2})(?![A-Za-z0-9+/=_-])/g, group: 1 },
];

export function maskValue(value: string): string {
  return value.length <= 4 ? '****' : `${value.slice(0, 4)}${'*'.repeat(Math.min(value.length - 4, 12))}`;
}

/** A long run of base64 that is not a hex digest or an identifier is treated as an encoded secret. */
function looksLikeEncodedSecret(value: string): boolean {
  if (/^[0-9a-f]+$/i.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((r) => r.test(value)).length;
  return classes >= 3 || /[+/=]/.test(value);
}

/** Every secret-looking value in a text, one finding per occurrence, in line order. */
export function scanText(path: string, text: string): RedactionFinding[] {
  const findings: RedactionFinding[] = [];
  const lines = text.split('\n');
  lines.forEach((lineText, i) => {
    const seen = new Set<string>();
    for (const rule of RULES) {
      for (const m of lineText.matchAll(rule.pattern)) {
        const value = m[rule.group] ?? m[0];
        if (rule.name === 'long-base64' && !looksLikeEncodedSecret(value)) continue;
        if ([...seen].some((s) => s.includes(value) || value.includes(s))) continue;
        seen.add(value);
        findings.push({ path, line: i + 1, rule: rule.name, masked: maskValue(value) });
      }
    }
  });
  return findings;
}

/** Scans every file of a change set. */
export function scanChanges(changes: readonly { path: string; content: string }[]): RedactionFinding[] {
  return changes.flatMap((c) => scanText(c.path, c.content));
}

/** What replaces a masked value in redacted text: short enough that no rule matches it again. */
export const REDACTED = '***';

/** Personal data the memory import strips as well (§8.2): e-mail addresses and user home directories. */
const PII: { rule: string; pattern: RegExp; replace: string }[] = [
  { rule: 'email', pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g, replace: `${REDACTED}@${REDACTED}` },
  { rule: 'home-path', pattern: /(\/(?:home|Users)\/)(?!\*\*\*(?:\/|\s|$))[^/\s]+/g, replace: `$1${REDACTED}` },
];
export const PII_RULES = PII.map((p) => p.rule);
export const SECRET_RULES = [...new Set(RULES.map((r) => r.name))];

export interface TextRedaction {
  text: string;
  /** One entry per masked value (line-numbered; `masked` keeps at most the first 4 characters). */
  findings: { line: number; rule: string; masked: string }[];
}

function maskLine(line: string, lineNo: number, findings: TextRedaction['findings']): string {
  let out = line;
  for (const rule of RULES) {
    out = out.replace(rule.pattern, (...m: unknown[]) => {
      const whole = String(m[0]);
      const value = String(m[rule.group] ?? whole);
      if (rule.name === 'long-base64' && !looksLikeEncodedSecret(value)) return whole;
      findings.push({ line: lineNo, rule: rule.name, masked: maskValue(value) });
      return rule.name === 'pem-block' ? `-----BEGIN ${REDACTED}-----` : whole.replace(value, REDACTED);
    });
  }
  // Belt and braces: a line that still trips a rule (overlapping matches) is dropped whole.
  return scanText('', out).length ? REDACTED : out;
}

/** Masks secrets (and, with `pii`, e-mails and home paths) in a text; the findings say where and what. */
export function redactText(text: string, opts: { secrets?: boolean; pii?: boolean } = { secrets: true }): TextRedaction {
  const findings: TextRedaction['findings'] = [];
  let inPem = false;
  const lines = text.split('\n').map((line, i) => {
    let out = line;
    if (opts.secrets !== false) {
      // A PEM block's body is key material: every line up to its END marker goes.
      if (inPem) {
        if (/-----END /.test(line)) inPem = false;
        return REDACTED;
      }
      if (/-----BEGIN [A-Z0-9 ]*(PRIVATE KEY|CERTIFICATE)-----/.test(line) && !/-----END /.test(line)) inPem = true;
      out = maskLine(out, i + 1, findings);
    }
    if (opts.pii) {
      for (const p of PII) {
        out = out.replace(p.pattern, (whole: string) => {
          findings.push({ line: i + 1, rule: p.rule, masked: maskValue(whole) });
          return whole.replace(new RegExp(p.pattern.source), p.replace);
        });
      }
    }
    return out;
  });
  return { text: lines.join('\n'), findings };
}
