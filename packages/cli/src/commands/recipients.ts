import { parseRecipient } from '@wr/age';
import { WrError } from '@wr/common';
import { readTextInput } from './options.js';

export const RECIPIENT_HELP = 'an age recipient, age1... or age1pq1...; repeat for more';
export const RECIPIENTS_FILE_HELP = 'a file of recipients, one per line (# comments and blank lines ignored), as age -R';

/**
 * Recipients from `-r` values and `-R` files (one per line, as age reads them:
 * blank lines and `#` comments ignored), each checked locally so a typo is
 * reported before anything is sent.
 */
export function readRecipients(recipients: string[], recipientFiles: string[]): string[] {
  const all: string[] = [];
  for (const r of recipients) all.push(parseRecipient(r, '-r').recipient);
  for (const file of recipientFiles) {
    const lines = readTextInput(file, '-R').split(/\r?\n/);
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      all.push(parseRecipient(line, `-R ${file} line ${i + 1}`).recipient);
    });
  }
  const unique = [...new Set(all)];
  if (unique.length === 0) {
    throw new WrError('INVALID_ARGUMENT', 'no recipient: pass -r age1... or -R FILE (one recipient per line)', { param: 'ageRecipient' });
  }
  return unique;
}
