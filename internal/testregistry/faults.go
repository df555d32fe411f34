package testregistry

import (
	"net"
	"net/http"
	"sync/atomic"
)

// Fault is one way a registry behind a load balancer looks when it is down.
type Fault string

// The faults a Switch injects.
const (
	// NoFault serves requests normally.
	NoFault Fault = ""
	// FaultEOF closes the connection without a response (a load balancer with no backend).
	FaultEOF Fault = "EOF"
	// FaultReset resets the connection (TCP RST) without a response.
	FaultReset Fault = "reset"
	// Fault502, Fault503 and Fault504 answer every request with that gateway status.
	Fault502 Fault = "502"
	Fault503 Fault = "503"
	Fault504 Fault = "504"
)

// HubDownFaults lists every fault that means "the registry is down", for table-driven tests.
var HubDownFaults = []Fault{FaultEOF, FaultReset, Fault502, Fault503, Fault504}

var faultStatus = map[Fault]int{
	Fault502: http.StatusBadGateway,
	Fault503: http.StatusServiceUnavailable,
	Fault504: http.StatusGatewayTimeout,
}

// Switch injects a fault into every request while one is set; the zero value serves normally.
// Use its Middleware with WithMiddleware, publish while it is off, then Set the fault.
type Switch struct{ v atomic.Value }

// Set makes every following request fail with f (NoFault serves normally again).
func (s *Switch) Set(f Fault) { s.v.Store(f) }

func (s *Switch) fault() Fault {
	f, _ := s.v.Load().(Fault)
	return f
}

// Middleware wraps a registry handler with the switch.
func (s *Switch) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := s.fault()
		if status, ok := faultStatus[f]; ok {
			http.Error(w, "<html><body>"+http.StatusText(status)+"</body></html>", status)
			return
		}
		if f != FaultEOF && f != FaultReset {
			next.ServeHTTP(w, r)
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, "hijacking: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if tcp, ok := conn.(*net.TCPConn); ok && f == FaultReset {
			_ = tcp.SetLinger(0) // close with RST instead of FIN
		}
		_ = conn.Close()
	})
}
