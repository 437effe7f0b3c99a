{{ config(
    unique_key='disposition_id',
    post_hook="{{ forget_withdrawn_copies(source('voice', 'dispositions')) }}",
) }}
with

source as (
    {{ landed_records(source('voice', 'dispositions'), 'disposition_id') }}
),

renamed as (
    select
        record_key as disposition_id,
        {{ json_text('payload', '$.call_sid') }} as call_id,
        lower({{ json_text('payload', '$.queue') }}) as queue,
        {{ json_text('payload', '$.agent_id') }} as agent_id,
        lower({{ json_text('payload', '$.reason_code') }}) as reason_code,
        {{ json_int('payload', '$.wait_seconds') }} as wait_seconds,
        {{ json_int('payload', '$.talk_seconds') }} as talk_seconds,
        {{ json_bool('payload', '$.resolved') }} as is_resolved,
        {{ json_bool('payload', '$.transferred') }} as is_transferred,
        {{ json_bool('payload', '$.escalated') }} as is_escalated,
        {{ json_text('payload', '$.escalated_to') }} as escalated_to,
        {{ json_bool('payload', '$.callback_requested') }} as is_callback_requested,
        coalesce(trim({{ json_text('payload', '$.notes') }}), '') != '' as has_notes,
        {{ to_utc(json_text('payload', '$.wrapped_up_at')) }} as wrapped_up_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'disposition_id') }}
),

final as (
    select
        disposition_id,
        call_id,
        queue,
        agent_id,
        reason_code,
        wait_seconds,
        talk_seconds,
        is_resolved,
        is_transferred,
        is_escalated,
        escalated_to,
        is_callback_requested,
        has_notes,
        wrapped_up_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
