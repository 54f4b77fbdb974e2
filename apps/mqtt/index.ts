// The MQTT 3.1.1 client for AssemblyScript applications (apps/mqtt/README.md): the client, its
// codec and its error codes.
export * from "./errors";
export * from "./codec";
export * from "./client";
export * from "./transport";
