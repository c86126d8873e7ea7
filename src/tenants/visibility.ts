/**
 * Who sees what: admin keys see every tenant's batches and files; a tenant key its tenant's; a
 * batch with no tenant (made with the command line) is seen only by admins. Every face checks it.
 */
export function canSee(viewer: { admin: boolean; tenant: string }, tenant: string | null): boolean {
  return viewer.admin || (tenant !== null && tenant === viewer.tenant);
}
