package web

// crmRoutes are the CRM's JSON API routes.
func (s *Server) crmRoutes() []Route {
	return nil
}
