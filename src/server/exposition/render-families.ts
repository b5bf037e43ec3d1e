import type { CatalogEntry, FamilyCatalog, Piece } from '../store/family-catalog.js';
import { familyHeader } from '../text-format/format.js';

/**
 * One piece of the exposition: the agents' lines of one family in one shard, preceded by
 * the family's HELP and TYPE when it is the family's first piece. Each member's text is its
 * own (brought up to date from its values if they changed since it was last read); this concatenates.
 */
export function pieceText(entry: CatalogEntry, piece: Piece, withHeader: boolean): string {
  const parts: string[] = withHeader ? [familyHeader(entry.name, entry.type, entry.help)] : [];
  for (const member of piece.members.values()) parts.push(member.text);
  return parts.join('');
}

/** Calls `each` for every piece in exposition order: families by name, pieces by shard. */
export function forEachPiece(catalog: FamilyCatalog, each: (entry: CatalogEntry, piece: Piece, withHeader: boolean) => void): void {
  for (const entry of catalog.sorted()) {
    const pieces = catalog.piecesOf(entry);
    for (let i = 0; i < pieces.length; i++) each(entry, pieces[i]!, i === 0);
  }
}

/** Every agent family, each printed once with all agents' lines under one HELP/TYPE. */
export function renderFamilies(catalog: FamilyCatalog): string {
  const parts: string[] = [];
  forEachPiece(catalog, (entry, piece, withHeader) => parts.push(pieceText(entry, piece, withHeader)));
  return parts.join('');
}
