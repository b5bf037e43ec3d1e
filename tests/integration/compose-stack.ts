import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ContainerInspectInfo } from 'dockerode';
import {
  DockerComposeEnvironment,
  getContainerRuntimeClient,
  Wait,
  type StartedDockerComposeEnvironment,
  type StartedTestContainer,
} from 'testcontainers';

// The real docker-compose.yml plus tests/integration/docker-compose.test.yml (timings only),
// started by testcontainers with Compose v2 or v1, whichever this machine has.

// Ryuk (testcontainers' reaper) is an image pulled from Docker Hub, which machines without
// registry access cannot do; the suite downs the stack itself in `after`.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMPOSE_FILES = ['docker-compose.yml', 'tests/integration/docker-compose.test.yml'];
// Stands in for the project's .env, so a developer's local settings do not change the test stack.
const ENV_FILE = 'tests/integration/compose.env';

export interface ComposeCli {
  name: 'docker compose' | 'docker-compose';
  /** testcontainers' client option: v1 is a standalone executable, v2 a docker CLI plugin. */
  executable?: { standalone: true };
}

/** Compose v2 (`docker compose`) when the docker CLI has it, else v1 (`docker-compose`). */
export function findCompose(): ComposeCli | undefined {
  const works = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
  if (works('docker', ['compose', 'version'])) return { name: 'docker compose' };
  if (works('docker-compose', ['version'])) return { name: 'docker-compose', executable: { standalone: true } };
  return undefined;
}

/** Why the stack cannot start on this machine, or undefined when it can. */
export async function stackUnavailable(): Promise<string | undefined> {
  try {
    await getContainerRuntimeClient();
  } catch (err) {
    return `no Docker engine answers (${(err as Error).message}); start one, e.g. ../shared/offline-images/dockerd-up.sh`;
  }
  if (!findCompose()) return 'neither `docker compose` (Compose v2) nor `docker-compose` (v1) is installed';
  return undefined;
}

/** The Grafana image docker-compose.yml would run: $GRAFANA_IMAGE or the file's pinned default. */
export function grafanaImage(): string {
  if (process.env.GRAFANA_IMAGE) return process.env.GRAFANA_IMAGE;
  const pinned = /\$\{GRAFANA_IMAGE:-([^}]+)\}/.exec(readFileSync(`${REPO_ROOT}/docker-compose.yml`, 'utf8'))?.[1];
  if (!pinned) throw new Error('docker-compose.yml no longer names its Grafana image as ${GRAFANA_IMAGE:-<image>}');
  return pinned;
}

/** `docker image inspect`: whether the image is present locally (nothing is pulled to find out). */
export async function imagePresent(name: string): Promise<boolean> {
  const client = await getContainerRuntimeClient();
  try {
    await client.container.dockerode.getImage(name).inspect();
    return true;
  } catch {
    return false;
  }
}

export interface StackOptions {
  /** Services to start; undefined starts every service in docker-compose.yml. */
  services?: string[];
  agents: number;
  /** Compose variables (ports, token, ...), on top of NODE_IMAGE etc. from the caller's environment. */
  variables: Record<string, string>;
  /** Compose files, relative to the repository (default: docker-compose.yml and the test timings). */
  files?: string[];
}

export interface Stack {
  project: string;
  compose: ComposeCli;
  /** Running containers of each started service, by container number. */
  containers: Record<string, StartedTestContainer[]>;
  /** The one container of a service that has one. */
  one(service: string): StartedTestContainer;
  /** SIGKILL, as a crash or power loss would: no goodbye reaches the bridge. */
  kill(container: StartedTestContainer): Promise<void>;
  /** `docker stop`: stopped for good (restart policies leave it alone), not removed. */
  stop(container: StartedTestContainer): Promise<void>;
  /** `docker start` of a killed or stopped container. */
  start(container: StartedTestContainer): Promise<void>;
  /** `docker inspect`, e.g. for a container's mounts. */
  inspect(container: StartedTestContainer): Promise<ContainerInspectInfo>;
  /** Everything the container wrote to stdout and stderr so far (`docker logs`). */
  logs(container: StartedTestContainer): Promise<string>;
  down(): Promise<void>;
}

/** Builds the images and starts the stack; resolves once every container reports healthy. */
export async function startStack({ services, agents, variables, files = COMPOSE_FILES }: StackOptions): Promise<Stack> {
  const compose = findCompose();
  if (!compose) throw new Error('no Compose found');
  const project = `fleetpulse-it-${randomBytes(4).toString('hex')}`;
  const passThrough = Object.fromEntries(
    ['NODE_IMAGE', 'PROMETHEUS_IMAGE', 'ALERTMANAGER_IMAGE', 'GRAFANA_IMAGE', 'VICTORIA_METRICS_IMAGE'].flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])),
  );
  const started = await new DockerComposeEnvironment(REPO_ROOT, files)
    .withProjectName(project)
    .withEnvironmentFile(ENV_FILE)
    .withEnvironment({ ...passThrough, ...variables })
    .withClientOptions({ ...(compose.executable && { executable: compose.executable }), commandOptions: ['--scale', `agent=${agents}`] })
    .withBuild()
    // Every service has a HEALTHCHECK (Dockerfiles, docker-compose.yml): wait for all of them.
    .withDefaultWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(120_000)
    .up(services);
  const containers = await serviceContainers(started, project);
  return {
    project,
    compose,
    containers,
    one(service) {
      const found = containers[service] ?? [];
      if (found.length !== 1) throw new Error(`${found.length} running containers of service ${service}, expected 1`);
      return found[0]!;
    },
    async kill(container) {
      const client = await getContainerRuntimeClient();
      await client.container.getById(container.getId()).kill({ signal: 'SIGKILL' });
    },
    async stop(container) {
      const client = await getContainerRuntimeClient();
      await client.container.dockerode.getContainer(container.getId()).stop({ t: 5 });
    },
    async start(container) {
      const client = await getContainerRuntimeClient();
      await client.container.dockerode.getContainer(container.getId()).start();
    },
    async inspect(container) {
      const client = await getContainerRuntimeClient();
      return client.container.getById(container.getId()).inspect();
    },
    async logs(container) {
      const client = await getContainerRuntimeClient();
      const raw = (await client.container.dockerode.getContainer(container.getId()).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      // Without a TTY each chunk carries an 8-byte header (stream, 0, 0, 0, length as uint32 BE).
      const chunks: string[] = [];
      for (let at = 0; at + 8 <= raw.length; ) {
        const length = raw.readUInt32BE(at + 4);
        chunks.push(raw.subarray(at + 8, at + 8 + length).toString('utf8'));
        at += 8 + length;
      }
      return chunks.join('');
    },
    async down() {
      await started.down({ timeout: 0, removeVolumes: true });
    },
  };
}

/** Runs `check` until it resolves (every 500 ms), then returns its value; its last error after `timeoutMs`. */
export async function eventuallyPasses<T>(what: string, timeoutMs: number, check: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) {
        if (err instanceof Error) err.message = `${what}, still failing after ${timeoutMs / 1000} s: ${err.message}`;
        throw err;
      }
    }
    await sleep(500);
  }
}

/**
 * Containers by their Compose labels rather than by name: v1 names them <project>_<service>_<n>,
 * v2 <project>-<service>-<n>. testcontainers keys its containers by name with "/<project>-"
 * (v2) or "/" (v1) cut off, so that is the key looked up.
 */
async function serviceContainers(env: StartedDockerComposeEnvironment, project: string): Promise<Record<string, StartedTestContainer[]>> {
  const client = await getContainerRuntimeClient();
  const ours = (await client.container.list()).filter((c) => c.Labels['com.docker.compose.project'] === project);
  ours.sort((a, b) => Number(a.Labels['com.docker.compose.container-number']) - Number(b.Labels['com.docker.compose.container-number']));
  const byService: Record<string, StartedTestContainer[]> = {};
  for (const info of ours) {
    const service = info.Labels['com.docker.compose.service']!;
    const name = info.Names[0]!;
    const key = name.startsWith(`/${project}-`) ? name.slice(project.length + 2) : name.slice(1);
    (byService[service] ??= []).push(env.getContainer(key));
  }
  return byService;
}
