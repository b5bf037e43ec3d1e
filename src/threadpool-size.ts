// Imported first by the entry points, so that it runs before anything starts libuv's thread
// pool (its size is read once, at the pool's first use). Each statfs on a hung NFS mount holds a
// pool thread until it returns; with the default 4, a few stuck mounts would stall every file
// read of the agent. In the CommonJS bundles (scripts/bundle.mjs: what the image and the systemd
// unit run) this runs before any other module; under dist/cli.js, whose ES modules are read
// through the pool, the pool has already started with 4 threads by then.
process.env.UV_THREADPOOL_SIZE ??= '16';
