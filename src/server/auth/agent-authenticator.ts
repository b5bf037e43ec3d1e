import { protocolError } from '../../protocol/error-codes.js';
import { tokenMatches } from '../util/token-matches.js';
import type { PeerInfo } from './agent-link-gate.js';
import { entryFor, tokenFitsEntry, type AgentTokensFile } from './agent-tokens-file.js';

/**
 * How a session proved its agent id. A certificate naming the id or the id's own token proves
 * that id; the shared token only proves membership of the fleet; `none` proves nothing.
 */
export type Proof = 'certificate' | 'agent-token' | 'shared-token' | 'none';

const STRENGTH: Record<Proof, number> = { none: 0, 'shared-token': 1, 'agent-token': 2, certificate: 2 };

/** Whether a session with proof `newer` may take over an id held by one with proof `held`. */
export function mayReplace(held: Proof, newer: Proof): boolean {
  return STRENGTH[newer] >= STRENGTH[held];
}

export interface AuthenticatorOptions {
  sharedToken: string | undefined;
  tokensFile: AgentTokensFile | undefined;
  clientCertificates: boolean;
}

/** Checks a hello's credentials; throws a fatal ProtocolError saying what did not match. */
export function authenticateAgent(options: AuthenticatorOptions, agentId: string, offeredToken: string | undefined, peer: PeerInfo): Proof {
  let proof: Proof = 'none';
  if (options.clientCertificates) {
    const names = peer.certificateNames ?? [];
    if (!names.includes(agentId)) {
      throw protocolError('IDENTITY_MISMATCH', `agent id "${agentId}" is not a name of the agent's certificate (${names.map((n) => `"${n}"`).join(', ') || 'no names'})`);
    }
    proof = 'certificate';
  }
  const entry = options.tokensFile && entryFor(options.tokensFile.current(), agentId);
  if (entry) {
    if (!tokenFitsEntry(entry, offeredToken)) {
      const what = offeredToken === undefined ? 'the hello carried no token' : 'the token does not match';
      throw protocolError('AUTH_FAILED', `${what} for agent id "${agentId}" (entry "${entry.pattern}", line ${entry.line} of FLEETPULSE_AGENT_TOKENS_FILE)`);
    }
    return proof === 'none' ? 'agent-token' : proof;
  }
  if (options.sharedToken !== undefined) {
    if (!tokenMatches(options.sharedToken, offeredToken)) {
      throw protocolError('AUTH_FAILED', offeredToken === undefined ? 'this bridge requires a token and the hello carried none' : 'the token does not match the bridge\'s token');
    }
    return proof === 'none' ? 'shared-token' : proof;
  }
  if (options.tokensFile && proof === 'none') {
    throw protocolError('AUTH_FAILED', `agent id "${agentId}" has no entry in FLEETPULSE_AGENT_TOKENS_FILE and the bridge has no shared token`);
  }
  return proof;
}
