import type { FamilyCatalog } from '../store/family-catalog.js';
import { familyHeader } from './text-format.js';

/**
 * Every agent family, each printed once with all agents' lines under one HELP/TYPE.
 * Agents' lines were rendered when their batch arrived; this only concatenates.
 */
export function renderFamilies(catalog: FamilyCatalog): string {
  const parts: string[] = [];
  for (const entry of catalog.sorted()) {
    parts.push(familyHeader(entry.name, entry.type, entry.help));
    for (const member of entry.members.values()) parts.push(member.text);
  }
  return parts.join('');
}
