// Imported first by the entry points, so that it runs before anything starts libuv's thread
// pool (its size is read once, at the pool's first use). Each statfs on a hung NFS mount holds a
// pool thread until it returns; with the default 4, a few stuck mounts would stall every file
// read of the agent. The 12 extra idle threads cost the agent about 0.1 MiB of RSS (their touched
// stacks; bench/results/2026-11-30-agent-image-rss-s12.md): kept for that safety. In the CommonJS
// bundles (scripts/bundle.mjs: what the image and the systemd unit run) this runs before any other
// module; under dist/cli.js, whose ES modules are read through the pool, the pool has already
// started with 4 threads by then.
process.env.UV_THREADPOOL_SIZE ??= '16';
