// Command buildcheck reads the deployment files the way Docker does, for docker/test/prometheus_test.py,
// where no Docker engine is needed:
//
//	buildcheck compose FILE              the compose project, loaded and validated by compose-go, as JSON
//	buildcheck ignored CONTEXT PATH...   each file under the PATHs that CONTEXT/.dockerignore leaves out
package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage: buildcheck compose FILE | buildcheck ignored CONTEXT PATH...")
	}
	var err error
	switch os.Args[1] {
	case "compose":
		err = printCompose(os.Args[2])
	case "ignored":
		err = printIgnored(os.Args[2], os.Args[3:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "buildcheck:", message)
	os.Exit(1)
}

func printCompose(file string) error {
	options, err := cli.NewProjectOptions([]string{file}, cli.WithResolvedPaths(true))
	if err != nil {
		return err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return err
	}
	out, err := project.MarshalJSON()
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}

func printIgnored(buildContext string, paths []string) error {
	ignore, err := os.Open(filepath.Join(buildContext, ".dockerignore"))
	if err != nil {
		return err
	}
	defer ignore.Close()
	patterns, err := ignorefile.ReadAll(ignore)
	if err != nil {
		return err
	}
	matcher, err := patternmatcher.New(patterns)
	if err != nil {
		return err
	}
	for _, path := range paths {
		err := filepath.WalkDir(filepath.Join(buildContext, path), func(file string, entry fs.DirEntry, err error) error {
			if err != nil || entry.IsDir() {
				return err
			}
			relative, err := filepath.Rel(buildContext, file)
			if err != nil {
				return err
			}
			excluded, err := matcher.MatchesOrParentMatches(filepath.ToSlash(relative))
			if excluded {
				fmt.Println(filepath.ToSlash(relative))
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
