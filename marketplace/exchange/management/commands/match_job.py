"""`manage.py match_job JOB_ID [--json]`: matches the job to vendors now, in the
foreground, as the background task would (DESIGN section 5), and prints the ranking with
the reasons, then the vendors that are not eligible and why."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from labs.models import Job
from marketplace.exchange.matching import Evaluation
from marketplace.exchange.services import job_match


class Command(BaseCommand):
    help = (
        "Rank every vendor for the job (eligibility, score and reasons), invite the top "
        "MATCHING_INVITE_TOP_N while the job is open, and print the ranking. Safe to run "
        "again: existing invitations are kept and re-scored, none is made twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job_id", metavar="JOB_ID", type=int, help="the job's id")
        parser.add_argument(
            "--json",
            action="store_true",
            help="print a JSON array: eligible vendors by rank, then the ineligible ones",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        job_id = options["job_id"]
        if not Job.objects.filter(pk=job_id).exists():
            raise CommandError(f"No job with id {job_id}.")
        result = job_match(job_id=job_id, rerun=True)
        if result is None:  # deleted meanwhile
            raise CommandError(f"No job with id {job_id}.")
        invited = set(result.invited_vendor_ids)
        ranking = result.ranking
        rows = [_row(e, invited) for e in (*ranking.ranked, *ranking.ineligible)]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        job = ranking.job
        self.stdout.write(
            f"{job.title} (job {job.pk}, {job.status}): {len(ranking.ranked)} eligible, "
            f"{len(ranking.ineligible)} not eligible; {len(invited)} invited "
            f"({len(result.newly_invited_vendor_ids)} new)."
        )
        for row in rows:
            if row["eligible"]:
                mark = " [invited]" if row["invited"] else ""
                score = f"{row['score']:.1f}"
                self.stdout.write(f"\n{row['rank']:>3}. {row['vendor']}: {score}{mark}")
            else:
                if row is rows[len(ranking.ranked)]:
                    self.stdout.write("\nNot eligible:")
                mark = " [invited earlier]" if row["invited"] else ""
                self.stdout.write(f"\n  - {row['vendor']}{mark}")
            for reason in row["reasons"]:
                self.stdout.write(f"       {reason}")


def _row(evaluation: Evaluation, invited: set[int]) -> dict[str, Any]:
    return {
        "vendor": evaluation.vendor_name,
        "vendor_id": evaluation.vendor_id,
        "eligible": evaluation.eligible,
        "rank": evaluation.rank,
        "score": None if evaluation.score is None else float(evaluation.score),
        "reasons": list(evaluation.reasons),
        "invited": evaluation.vendor_id in invited,
    }
