// The collector fleet's configs: which files make each tier. The tiers are not configs of their
// own: the collector merges collector/fleet/<tier>.yaml over collector/otelcol.yaml (maps merge key
// by key, lists replace), so the scrubbing rules, span metrics and sampling policies exist once.
import { join } from 'node:path';
import { StackError } from './usage-error.js';

export type FleetTier = 'agent' | 'gateway';
/** How agents find the gateways: a fixed list, DNS records, or a Kubernetes Service's endpoints. */
export type GatewayResolver = 'static' | 'dns' | 'k8s';

const TIERS: readonly FleetTier[] = ['agent', 'gateway'];
const RESOLVERS: readonly GatewayResolver[] = ['static', 'dns', 'k8s'];

/**
 * The config files of one tier, in merge order: otelcol.yaml, the tier's overlay and, for agents,
 * the resolver. `--config` arguments for the collector: `files.flatMap((f) => ['--config', f])`.
 */
export function fleetConfigFiles(
  repo: string,
  tier: FleetTier,
  resolver: GatewayResolver = 'static',
): string[] {
  if (!TIERS.includes(tier)) {
    throw new StackError(
      'FAULTLINE_ERR_STACK_BAD_OPTION',
      `fleet tier must be agent or gateway; got ${String(tier)}`,
    );
  }
  if (!RESOLVERS.includes(resolver)) {
    throw new StackError(
      'FAULTLINE_ERR_STACK_BAD_OPTION',
      `gateway resolver must be static, dns or k8s; got ${String(resolver)}`,
    );
  }
  const base = join(repo, 'collector', 'otelcol.yaml');
  const overlay = join(repo, 'collector', 'fleet', `${tier}.yaml`);
  return tier === 'agent'
    ? [base, overlay, join(repo, 'collector', 'fleet', `resolver-${resolver}.yaml`)]
    : [base, overlay];
}

/** `--config file:<path>` pairs for the collector's command line. */
export function configArgs(files: readonly string[]): string[] {
  return files.flatMap((f) => ['--config', `file:${f}`]);
}
