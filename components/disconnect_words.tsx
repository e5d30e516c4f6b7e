/**
 * What disconnecting a connection or one entity does, in words: one wording for the
 * confirmation page (no JavaScript) and the dialog (the island), so both say the same.
 */

/** The path of a connection's disconnect, or of one of its entities'. */
export function disconnectPath(connectionId: string, entityId?: string) {
  const base = `/connections/${encodeURIComponent(connectionId)}`;
  return entityId
    ? `${base}/entities/${encodeURIComponent(entityId)}/disconnect`
    : `${base}/disconnect`;
}

export function ConnectionConsequence(
  { provider, company }: { provider: string; company: string },
) {
  return (
    <>
      We will stop syncing data for <strong>{company}</strong>{" "}
      and revoke this connection's access at{" "}
      {provider}. You can connect again at any time.
    </>
  );
}

export function EntityConsequence(
  { provider, entity, company }: {
    provider: string;
    entity: string;
    company: string;
  },
) {
  return (
    <>
      We will stop syncing data for <strong>{entity}</strong>{" "}
      and revoke its access at {provider}. The rest of {company}{" "}
      stays connected.
    </>
  );
}
