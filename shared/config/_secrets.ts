/** Variable names whose values are secrets: never printed, whatever is wrong with them. */
const secretName = /(SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|CREDENTIALS?|(^|_)KEY)$/i;

/** Whether the variable `name` holds a secret (`JWT_SECRET`, `PGPASSWORD`, `API_KEY`, …). */
export function isSecretVariable(name: string): boolean {
  return secretName.test(name);
}

/**
 * `text` with the user-info of every URL in it masked: `scheme://user:***@`
 * (or `scheme://***@` when there is no password). It masks up to the last
 * `@` before the next space, so an unencoded `@` or `/` in a password is
 * masked too.
 */
export function maskUrlCredentials(text: string): string {
  return text.replace(
    /\b([a-z][a-z0-9+.-]*:\/\/)([^\s]*)@(?=[^\s@]*(\s|$))/gi,
    (_, scheme: string, info: string) => {
      const colon = info.indexOf(":");
      return colon < 0 ? `${scheme}***@` : `${scheme}${info.slice(0, colon + 1)}***@`;
    },
  );
}

/** How an error message shows a variable's value: `="…"` (URL passwords masked), or a note. */
export function describeValue(name: string, value: string): string {
  if (value === "") return '=""';
  if (isSecretVariable(name)) return " (value hidden)";
  return `=${JSON.stringify(maskUrlCredentials(value))}`;
}
