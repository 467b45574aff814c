package web

// triggerRoutes are the routes of events, webhooks and schedules.
func (s *Server) triggerRoutes() []Route {
	return nil
}
