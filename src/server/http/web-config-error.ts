/** A web-config file that cannot be used; the message names the file, and the line where known. */
export class WebConfigError extends Error {}
