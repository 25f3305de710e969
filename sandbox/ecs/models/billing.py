"""Charge types and subscriptions: PrePaid / PostPaid, RunInstances' periods, ExpiredTime."""
import calendar
import time

PREPAID, POSTPAID = "PrePaid", "PostPaid"
# A pay-as-you-go instance's ExpiredTime, as the real service reports it (the DescribeInstances reference's
# response example and kubernetes-sigs/alibaba-cloud-csi-driver's recorded DescribeInstances answers).
POSTPAID_EXPIRED_TIME = "2099-12-31T15:59Z"
# RunInstances' Period values per PeriodUnit (its SDK docstring: Week 1-4; Month 1-9, 12, 24, 36, 48, 60).
PERIODS = {"Week": (1, 2, 3, 4), "Month": (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60)}


def subscription_end(start, period, unit):
    """When a subscription bought at `start` for `period` `unit`s ends: the time a period later,
    rounded up to the next 16:00Z (midnight UTC+8), as ExpiredTime values read (the DescribeInstances
    reference's example: created 2017-12-10T04:04Z, one week, ExpiredTime 2017-12-17T16:00Z)."""
    if unit == "Week":
        end = start + period * 7 * 86400
    else:
        t = time.gmtime(start)
        month0 = t.tm_mon - 1 + period
        year, month = t.tm_year + month0 // 12, month0 % 12 + 1
        day = min(t.tm_mday, calendar.monthrange(year, month)[1])
        end = calendar.timegm((year, month, day, t.tm_hour, t.tm_min, t.tm_sec, 0, 0, 0))
    boundary = end - (end - 16 * 3600) % 86400
    return boundary if boundary >= end else boundary + 86400
