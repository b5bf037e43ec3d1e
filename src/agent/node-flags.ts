/**
 * Node flags the agent is deployed with (Dockerfile.agent, deploy/systemd; a test keeps them in
 * step). `--lite-mode` keeps V8 from compiling optimised code: the agent's work is a little file
 * parsing and one socket every few seconds, which the interpreter does at about the same CPU,
 * while optimised code and its feedback cost 6-16 MB of RSS (bench/results/*-agent-footprint.md).
 * From Node 22 lite mode implies --jitless, which turns WebAssembly off and warns unless told
 * so: hence --no-expose-wasm. The agent therefore must not use fetch() (undici runs on
 * WebAssembly); it needs only net, dgram and fs. The bridge is busy and keeps the defaults.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--lite-mode', '--no-expose-wasm'];
