/** Who a request is from, once `authenticate` has checked its access token and its session. */
export interface AuthenticatedUser {
  id: number
  username: string
  sessionId: string
  /** Read from the database on every request, so a promotion or demotion takes effect at once. */
  isAdmin: boolean
}
