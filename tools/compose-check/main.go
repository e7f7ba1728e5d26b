// compose-check loads docker-compose files with the real Compose loader
// (github.com/compose-spec/compose-go/v2, what `docker compose` itself uses): interpolation,
// schema validation, normalisation and the consistency checks (unknown networks, volumes,
// services in depends_on). Every service that builds an image has its Dockerfile parsed by
// BuildKit's own Dockerfile parser and instruction checker (github.com/moby/buildkit, what
// `docker build` uses). It runs nothing and needs no Docker engine.
//
//	compose-check [-profile NAME]... FILE...
//
// On success it prints {"project": <the loaded project>, "dockerfiles": {<service>: {...}}} as
// JSON on stdout; on any error it prints the loader's or parser's message on stderr and exits 1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

type profiles []string

func (p *profiles) String() string     { return strings.Join(*p, ",") }
func (p *profiles) Set(v string) error { *p = append(*p, v); return nil }

type stage struct {
	Name string `json:"name"`
	Base string `json:"base"`
}

type dockerfile struct {
	Path         string   `json:"path"`
	Stages       []stage  `json:"stages"`
	Instructions []string `json:"instructions"`
	Warnings     []string `json:"warnings"`
}

func main() {
	var selected profiles
	flag.Var(&selected, "profile", "enable a compose profile (repeatable; \"*\" enables all)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: compose-check [-profile NAME]... FILE...")
	}
	flag.Parse()
	files := flag.Args()
	if len(files) == 0 {
		flag.Usage()
		os.Exit(2)
	}
	dir, err := filepath.Abs(filepath.Dir(files[0]))
	if err != nil {
		fail(err)
	}
	opts, err := cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(dir),
		cli.WithName("faultline"),
		cli.WithOsEnv,
		cli.WithDotEnv,
		cli.WithProfiles(selected),
		cli.WithConsistency(true),
		cli.WithNormalization(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		fail(err)
	}
	project, err := cli.ProjectFromOptions(context.Background(), opts)
	if err != nil {
		fail(err)
	}
	dockerfiles := map[string]dockerfile{}
	for name, service := range project.Services {
		if service.Build == nil {
			continue
		}
		path := service.Build.Dockerfile
		if path == "" {
			path = "Dockerfile"
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(service.Build.Context, path)
		}
		parsed, err := parseDockerfile(path)
		if err != nil {
			fail(fmt.Errorf("service %q: %s: %w", name, path, err))
		}
		dockerfiles[name] = parsed
	}
	projectJSON, err := project.MarshalJSON()
	if err != nil {
		fail(err)
	}
	out, err := json.MarshalIndent(map[string]any{
		"project":     json.RawMessage(projectJSON),
		"dockerfiles": dockerfiles,
	}, "", "  ")
	if err != nil {
		fail(err)
	}
	os.Stdout.Write(append(out, '\n'))
}

func parseDockerfile(path string) (dockerfile, error) {
	f, err := os.Open(path)
	if err != nil {
		return dockerfile{}, err
	}
	defer f.Close()
	result, err := parser.Parse(f)
	if err != nil {
		return dockerfile{}, err
	}
	stages, _, err := instructions.Parse(result.AST, nil)
	if err != nil {
		return dockerfile{}, err
	}
	out := dockerfile{Path: path, Stages: []stage{}, Instructions: []string{}, Warnings: []string{}}
	for _, s := range stages {
		out.Stages = append(out.Stages, stage{Name: s.Name, Base: s.BaseName})
	}
	for _, node := range result.AST.Children {
		out.Instructions = append(out.Instructions, node.Original)
	}
	for _, w := range result.Warnings {
		out.Warnings = append(out.Warnings, w.Short)
	}
	return out, nil
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "compose-check: %v\n", err)
	os.Exit(1)
}
