{#-
    Who marketing may contact, per customer and channel, as of the latest send or consent event
    in the warehouse: the consent state for the channel's purpose, the sends already in the
    channel's frequency-cap window and whether one more is allowed.

    An activation mart: Dagster builds it only after the blocking checks upstream pass (the
    consent rules on `marketing_send_compliance`, personal data on `customers`, erasure on
    `identity_erasure_register`), so it is never published from a run whose sends broke a
    consent rule, whose marts hold personal data or whose erasures a source did not honour (see
    docs/governance.md). A customer an erasure request removed is never in it, even if a
    customer id were reused.
-#}
with

ledger as (
    select * from {{ ref('consent_ledger') }}
),

erased as (
    select erased_customer_id as customer_id
    from {{ ref('identity_erasure_register') }}
    where status = 'erased'
),

compliance as (
    select * from {{ ref('marketing_send_compliance') }}
),

as_of as (
    select max(latest_at) as as_of
    from (
        select max(valid_from) as latest_at from ledger
        union all
        select max(sent_at) as latest_at from compliance
    ) as latest
),

channels as (
    {{ connect360.consent_channel_rules() }}
),

current_consent as (
    select
        customer_id,
        purpose,
        action,
        valid_from
    from ledger
    where valid_to is null
),

recent_sends as (
    select
        compliance.customer_id,
        compliance.channel,
        count(*) as sends_in_cap_window
    from compliance
    inner join channels on compliance.channel = channels.channel
    cross join as_of
    where
        {{ connect360.epoch_seconds('compliance.sent_at') }}
        > {{ connect360.epoch_seconds('as_of.as_of') }} - channels.cap_window_days * 86400
    group by compliance.customer_id, compliance.channel
),

final as (
    select
        current_consent.customer_id,
        channels.channel,
        channels.consent_purpose,
        current_consent.action as consent_state,
        current_consent.valid_from as consent_since,
        coalesce(recent_sends.sends_in_cap_window, 0) as sends_in_cap_window,
        channels.frequency_cap,
        current_consent.action = 'opt_in'
        and coalesce(recent_sends.sends_in_cap_window, 0) < channels.frequency_cap
            as may_send_now,
        as_of.as_of
    from current_consent
    inner join channels on current_consent.purpose = channels.consent_purpose
    cross join as_of
    left join recent_sends
        on
            current_consent.customer_id = recent_sends.customer_id
            and channels.channel = recent_sends.channel
    left join erased on current_consent.customer_id = erased.customer_id
    where erased.customer_id is null
)

select * from final
