{{ config(
    unique_key='record_key',
    post_hook="{{ forget_withdrawn_copies(source('tickets', 'tickets')) }}",
) }}
with

source as (
    {{ landed_records(source('tickets', 'tickets'), 'record_key') }}
),

renamed as (
    select
        record_key,
        {{ json_int('payload', '$.id') }} as ticket_id,
        {{ json_text('payload', '$.status') }} as status,
        {{ json_text('payload', '$.priority') }} as priority,
        {{ json_text('payload', '$.type') }} as ticket_type,
        {{ json_text('payload', '$.via.channel') }} as via_channel,
        {{ json_int('payload', '$.requester_id') }} as requester_id,
        {{ json_text('payload', '$.requester.email') }} as requester_email,
        {{ json_text('payload', '$.requester.phone') }} as requester_phone,
        {{ json_int('payload', '$.assignee_id') }} as assignee_id,
        {{ json_int('payload', '$.group_id') }} as group_id,
        {{ json_text('payload', '$.group_name') }} as group_name,
        {{ json_array_text('payload', '$.tags') }} as tags_json,
        {{ json_text('payload', '$.satisfaction_rating.score') }} as satisfaction_score,
        {{ json_text('payload', '$.satisfaction_rating.comment') }} as satisfaction_comment,
        {{ json_int('payload', '$.metric_set.reopens') }} as reopens,
        {{ json_int('payload', '$.metric_set.replies') }} as replies,
        {{ json_int('payload', '$.metric_set.reply_time_in_minutes.calendar') }}
            as reply_minutes,
        {{ json_int('payload', '$.metric_set.first_resolution_time_in_minutes.calendar') }}
            as first_resolution_minutes,
        {{ json_int('payload', '$.metric_set.full_resolution_time_in_minutes.calendar') }}
            as full_resolution_minutes,
        {{ to_utc(json_text('payload', '$.created_at')) }} as created_at,
        {{ to_utc(json_text('payload', '$.updated_at')) }} as updated_at,
        {{ to_utc(json_text('payload', '$.metric_set.assigned_at')) }} as assigned_at,
        {{ to_utc(json_text('payload', '$.metric_set.solved_at')) }} as solved_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'record_key') }}
),

final as (
    select
        record_key,
        ticket_id,
        status,
        priority,
        ticket_type,
        via_channel,
        requester_id,
        {{ pseudonymize(normalize_email('requester_email'), 'email') }} as requester_email_key,
        {{ pseudonymize(
            normalize_phone('requester_phone', "'" ~ var('default_phone_region') ~ "'"),
            'phone'
        ) }} as requester_phone_key,
        assignee_id,
        group_id,
        group_name,
        tags_json,
        satisfaction_score,
        coalesce(trim(satisfaction_comment) != '', false) as has_satisfaction_comment,
        reopens,
        replies,
        reply_minutes,
        first_resolution_minutes,
        full_resolution_minutes,
        created_at,
        updated_at,
        assigned_at,
        solved_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
