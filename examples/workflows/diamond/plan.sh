#!/bin/bash
# Plan script for the diamond workflow: the kind of command you give to
#
#     pegasus-em submit ENSEMBLE.WORKFLOW ./plan.sh [extra pegasus-plan options]
#
# pegasus-em runs it in the workflow's base directory and reads pegasus-plan's output to find
# the submit directory, so the output of pegasus-plan must NOT be redirected, and --submit must
# not be used (pegasus-em runs pegasus-run itself).
# Extra arguments are passed on to pegasus-plan (with the Pegasus simulator, e.g. --sim-status 1
# to make the run fail; see tools/pegasus-standins/README.md).
set -euo pipefail
cd "$(dirname "$0")"
exec pegasus-plan --dir submit --sites condorpool --output-sites local workflow.yml "$@"
