// Package testserver starts a real Prism server for the tests: `java -jar
// $PRISM_JAR serve` on free loopback ports over the models in $PRISM_MODELS.
package testserver

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// StartTimeout is how long a server may take to load its models.
const StartTimeout = 180 * time.Second

// Server is a running Prism process.
type Server struct {
	// Target is the gRPC address, e.g. "127.0.0.1:41234".
	Target      string
	metricsPort int
	cmd         *exec.Cmd
	output      lines
	// outputEnded closes when stderr is drained, i.e. the process has exited.
	outputEnded chan struct{}
}

var readyLine = regexp.MustCompile(`^prism: serving .* on port (\d+), metrics on port (\d+) at /metrics$`)

// Start runs the server over $PRISM_MODELS (default: the repository's
// models/) with extraArgs added to `serve` and waits for the line it prints
// on stderr once it serves.
func Start(extraArgs ...string) (*Server, error) {
	models, err := ModelsDir()
	if err != nil {
		return nil, err
	}
	return StartRepository(models, extraArgs...)
}

// StartRepository is Start over the model repository in the folder models.
func StartRepository(models string, extraArgs ...string) (*Server, error) {
	jar, err := pathFromEnv("PRISM_JAR", filepath.Join("target", "prism.jar"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(jar); err != nil {
		return nil, fmt.Errorf("no Prism jar (build it with `mvn -DskipTests package` or set PRISM_JAR): %w", err)
	}
	args := append([]string{"-jar", jar, "serve", "--port", "0", "--metrics-port", "0", "--model-repository", models}, extraArgs...)
	cmd := exec.Command("java", args...)
	stopWithParent(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start java: %w", err)
	}
	s := &Server{cmd: cmd, outputEnded: make(chan struct{})}

	ready := make(chan []string, 1)
	go func() {
		defer close(s.outputEnded)
		scanner := bufio.NewScanner(stderr)
		for scanner.Scan() {
			s.output.add(scanner.Text())
			if match := readyLine.FindStringSubmatch(scanner.Text()); match != nil {
				ready <- match
			}
		}
	}()
	select {
	case match := <-ready:
		s.Target = "127.0.0.1:" + match[1]
		s.metricsPort, _ = strconv.Atoi(match[2])
		return s, nil
	case <-s.outputEnded:
		return nil, fmt.Errorf("prism exited before serving (%v):\n%s", cmd.Wait(), s.output.String())
	case <-time.After(StartTimeout):
		s.Stop()
		return nil, fmt.Errorf("prism did not report serving within %v:\n%s", StartTimeout, s.output.String())
	}
}

// ModelsDir is the model repository Start serves: $PRISM_MODELS, or the
// repository's models/.
func ModelsDir() (string, error) {
	return pathFromEnv("PRISM_MODELS", "models")
}

// pathFromEnv is $name as an absolute path, or fromRoot under the repository root.
func pathFromEnv(name, fromRoot string) (string, error) {
	if p := os.Getenv(name); p != "" {
		return filepath.Abs(p)
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("set %s: the repository root is unknown", name)
	}
	// This file is clients/go/internal/testserver/testserver.go.
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", fromRoot), nil
}

// Stop sends SIGTERM and waits for the process, killing it if it lingers.
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.outputEnded:
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.outputEnded
	}
	_ = s.cmd.Wait()
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.outputEnded
	_ = s.cmd.Wait()
}

// Metric reads one sample of the server's Prometheus text, e.g.
// `prism_model_rows_total{graph="",model="digits"}`; 0 when the series does not exist yet.
func (s *Server) Metric(series string) (float64, error) {
	body, err := s.metrics()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(body, "\n") {
		if value, ok := strings.CutPrefix(line, series+" "); ok {
			return strconv.ParseFloat(value, 64)
		}
	}
	return 0, nil
}

// ExplainRequests is the number of Explain and StreamExplain requests the
// server has received, from its gRPC metrics (every status code summed).
func (s *Server) ExplainRequests() (float64, error) {
	body, err := s.metrics()
	if err != nil {
		return 0, err
	}
	total := 0.0
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "grpc_server_requests_received_messages_total{") ||
			!(strings.Contains(line, `method="Explain"`) || strings.Contains(line, `method="StreamExplain"`)) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("metrics line %q: %w", line, err)
		}
		total += v
	}
	return total, nil
}

// metrics is the server's Prometheus text.
func (s *Server) metrics() (string, error) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", s.metricsPort))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// lines collects the server's stderr for failure messages.
type lines struct {
	mu   sync.Mutex
	text []string
}

func (l *lines) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text = append(l.text, line)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.text, "\n")
}
