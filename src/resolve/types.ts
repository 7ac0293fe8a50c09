/** What an address resolves to: a pod or service name and its namespace. */
export interface ResolvedName {
  name: string;
  namespace: string;
}

/**
 * Answers "what was this address called at that time". Resolvers that only know the
 * present (an inventory file, the local network namespaces) ignore the time; the name
 * history answers for any moment it has recorded.
 */
export interface NameResolver {
  resolve(ip: string, port: number | undefined, atTimeUs: number): ResolvedName | undefined;
}

/** One mapping a resolver currently holds: an address pattern text (IP, CIDR, optional :port) and its name. */
export interface NameBinding extends ResolvedName {
  /** Canonical pattern text as formatAddressPattern writes it. */
  address: string;
}

/**
 * A resolver whose whole present mapping can be listed, so that the name history can
 * record what changed since the last look. `source` names it in the history.
 */
export interface BindingSource {
  readonly source: string;
  list(): Promise<NameBinding[]>;
}
