package cmp

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// skipLog gathers the sources skipped during one generate, so that the log carries one summary line
// instead of one warning per object and source (Argo CD shows the plugin's stderr in the
// Application's conditions). Each skip is still logged at debug level.
type skipLog struct {
	mu      sync.Mutex
	order   []string
	count   map[string]int
	firstOf map[string]string
}

func (l *skipLog) record(name string, desc ocispec.Descriptor, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count == nil {
		l.count, l.firstOf = map[string]int{}, map[string]string{}
	}
	if l.count[name] == 0 {
		l.order = append(l.order, name)
		l.firstOf[name] = err.Error()
		if !strings.Contains(l.firstOf[name], desc.Digest.Encoded()) {
			l.firstOf[name] = fmt.Sprintf("%s: %v", desc.Digest, err)
		}
	}
	l.count[name]++
}

// flush logs one warning naming each skipped source, how many objects it failed and the first
// failure, then forgets them.
func (l *skipLog) flush(log *slog.Logger) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.order) == 0 {
		return
	}
	parts := make([]string, 0, len(l.order))
	for _, name := range l.order {
		parts = append(parts, fmt.Sprintf("%s (%d objects; first: %s)", name, l.count[name], l.firstOf[name]))
	}
	log.Warn("source skipped, the next one served instead", "sources", strings.Join(parts, "; "))
	l.order, l.count, l.firstOf = nil, nil, nil
}
