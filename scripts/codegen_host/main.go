// Command codegen_host is a language host that only generates code: run as
// pulumi-language-nodejs or pulumi-language-go (the name it is started by picks the
// language), it answers the two RPCs of Pulumi's language hosts
// that are pure code generation, GeneratePackage (`pulumi package gen-sdk`) and
// GenerateProgram (the program `pulumi import` prints), with the same pkg/v3 codegen
// calls and the same tool name as the real host, so the output is byte for byte the
// real host's. Every other RPC (running a program, installing dependencies, ...)
// answers UNIMPLEMENTED, saying why.
//
// Why it exists: the real hosts live in Go modules of their own
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 and the go one) that
// the Go module proxy here does not serve, and pkg/v3's CLI calls the language host for
// both commands. (Python's real host is built from the source kept in shared/vendor, and
// build_cli.sh links it into the same folder.) scripts/build_cli.sh builds this into a folder of its
// own (codegen-bin, beside the CLI's bin), which is put on PATH only for those two
// commands. CONTRIBUTING.md says so.
//
// Followed, at pulumi/pulumi v3.260 (the mirror; pkg/v3 v3.274.1 has the same codegen
// signatures): sdk/python/cmd/pulumi-language-python/main.go (main, GetPluginInfo,
// Handshake), sdk/nodejs/cmd/pulumi-language-nodejs/main.go and
// sdk/go/pulumi-language-go/main.go (their GenerateProgram and GeneratePackage). The engine starts a language host with its own address as the one
// argument and reads the port from the first line of stdout
// (sdk/go/common/resource/plugin/langruntime_plugin.go NewLanguageRuntime, plugin.go
// newPlugin).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"time"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	hclsyntax "github.com/pulumi/pulumi/pkg/v3/codegen/hcl2/syntax"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The RPCs this host serves; every other one answers UNIMPLEMENTED.
var served = map[string]bool{
	"/pulumirpc.LanguageRuntime/GetPluginInfo":   true,
	"/pulumirpc.LanguageRuntime/Handshake":       true,
	"/pulumirpc.LanguageRuntime/GeneratePackage": true,
	"/pulumirpc.LanguageRuntime/GenerateProgram": true,
}

func main() {
	// The flags the real hosts take; the engine may pass --tracing.
	var tracing string
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint (ignored)")
	showVersion := flag.Bool("version", false, "Print the current plugin version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		os.Exit(0)
	}
	logging.InitLogging(false, 0, false)

	tool := filepath.Base(os.Args[0])
	language := strings.TrimPrefix(tool, "pulumi-language-")
	if language != "nodejs" && language != "go" {
		cmdutil.Exit(fmt.Errorf("%s: run this as pulumi-language-nodejs or pulumi-language-go; "+
			"the name picks the language", tool))
	}

	// Like the real hosts: stop on an interrupt, or when the engine that started us
	// (its address the one argument, or the Handshake's) goes away.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	cancelChannel := make(chan bool)
	go func() {
		<-ctx.Done()
		stop()
		close(cancelChannel)
	}()
	h := &host{tool: tool, language: language, ctx: ctx, stop: stop}
	if args := flag.Args(); len(args) > 0 {
		if err := h.watchEngine(args[0]); err != nil {
			cmdutil.Exit(err)
		}
	}

	refuse := func(fullMethod string) error {
		return status.Errorf(codes.Unimplemented,
			"%s here is a code generator only (pulumi-quickchat's scripts/codegen_host): it serves "+
				"GeneratePackage and GenerateProgram, not %s. The real %s cannot be built here, as "+
				"the Go module proxy does not serve its module; run programs as Automation API "+
				"inline programs and keep this folder off PATH for them",
			tool, path.Base(fullMethod), tool)
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: []grpc.ServerOption{
			grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo,
				handler grpc.UnaryHandler,
			) (any, error) {
				if !served[info.FullMethod] {
					return nil, refuse(info.FullMethod)
				}
				return handler(ctx, req)
			}),
			grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo,
				handler grpc.StreamHandler,
			) error {
				return refuse(info.FullMethod)
			}),
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer // reached only through the interceptors' refusal

	tool     string // "pulumi-language-nodejs": the codegen's tool name, as the real host passes it
	language string // "nodejs" or "go"
	ctx      context.Context
	stop     context.CancelFunc // stops the server
}

func (h *host) GetPluginInfo(ctx context.Context, req *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *host) Handshake(ctx context.Context,
	req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if err := h.watchEngine(req.EngineAddress); err != nil {
		return nil, err
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// watchEngine stops the server when the engine at address stops answering.
func (h *host) watchEngine(address string) error {
	if err := rpcutil.Healthcheck(h.ctx, address, 5*time.Minute, h.stop); err != nil {
		return fmt.Errorf("could not start health check host RPC server: %w", err)
	}
	return nil
}

func (h *host) GenerateProgram(
	ctx context.Context, req *pulumirpc.GenerateProgramRequest,
) (*pulumirpc.GenerateProgramResponse, error) {
	loader, err := schema.NewLoaderClient(req.LoaderTarget)
	if err != nil {
		return nil, err
	}
	defer loader.Close()

	parser := hclsyntax.NewParser()
	for path, contents := range req.Source {
		if err := parser.ParseFile(strings.NewReader(contents), path); err != nil {
			return nil, err
		}
		if diags := parser.Diagnostics; diags.HasErrors() {
			return nil, diags
		}
	}

	// All three prefer output-versioned invokes; the Go host ignores req.Strict.
	bindOptions := []pcl.BindOption{pcl.PreferOutputVersionedInvokes}
	if !req.Strict && h.language != "go" {
		bindOptions = append(bindOptions, pcl.NonStrictBindOptions()...)
	}
	program, diags, err := pcl.BindProgram(parser.Files, schema.NewCachedLoader(loader), bindOptions...)
	if err != nil {
		return nil, err
	}
	rpcDiagnostics := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GenerateProgramResponse{Diagnostics: rpcDiagnostics}, nil
	}
	if program == nil {
		return nil, errors.New("internal error program was nil")
	}

	var files map[string][]byte
	switch h.language {
	case "nodejs":
		// The real host's default runtime (its --runtime flag).
		files, diags, err = nodejsgen.GenerateProgramWithOptions(program, nodejsgen.ProgramOptions{Runtime: "nodejs"})
	case "go":
		files, diags, err = gogen.GenerateProgram(program)
	}
	if err != nil {
		return nil, err
	}
	rpcDiagnostics = append(rpcDiagnostics, plugin.HclDiagnosticsToRPCDiagnostics(diags)...)
	return &pulumirpc.GenerateProgramResponse{Source: files, Diagnostics: rpcDiagnostics}, nil
}

func (h *host) GeneratePackage(
	ctx context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	if h.language == "go" && len(req.ExtraFiles) > 0 {
		return nil, errors.New("overlays are not supported for Go")
	}
	loader, err := schema.NewLoaderClient(req.LoaderTarget)
	if err != nil {
		return nil, err
	}
	defer loader.Close()

	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.Schema), &spec); err != nil {
		return nil, err
	}
	pkg, diags, err := schema.BindSpec(spec, schema.NewCachedLoader(loader), schema.ValidationOptions{
		AllowDanglingReferences: true,
	})
	if err != nil {
		return nil, err
	}
	rpcDiagnostics := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GeneratePackageResponse{Diagnostics: rpcDiagnostics}, nil
	}

	var files map[string][]byte
	switch h.language {
	case "nodejs":
		files, err = nodejsgen.GeneratePackage(
			h.tool, pkg, req.ExtraFiles, req.LocalDependencies, req.Local, schema.NewCachedLoader(loader))
	case "go":
		files, err = gogen.GeneratePackage(h.tool, pkg, req.LocalDependencies)
	}
	if err != nil {
		return nil, err
	}

	for filename, data := range files {
		outPath := filepath.Join(req.Directory, filename)
		if err := os.MkdirAll(filepath.Dir(outPath), 0o700); err != nil {
			return nil, fmt.Errorf("could not create output directory %s: %w", filepath.Dir(filename), err)
		}
		if err := os.WriteFile(outPath, data, 0o600); err != nil {
			return nil, fmt.Errorf("could not write output file %s: %w", filename, err)
		}
	}
	return &pulumirpc.GeneratePackageResponse{Diagnostics: rpcDiagnostics}, nil
}
